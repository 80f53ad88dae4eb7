/**
 * The service's SQLite database (`parigot:sqlite`), granted in the wos with
 * `[services.NAME.sqlite]`; the service's world imports `parigot:sqlite/sqlite@0.1.0`.
 *
 * ```js
 * import * as sqlite from "parigot/sqlite";
 * sqlite.execute("INSERT INTO notes (text) VALUES (?1)", text);
 * for (const row of sqlite.query("SELECT id, text FROM notes")) console.log(row.id, row.text);
 * sqlite.transaction(() => { ... });  // committed at its end, rolled back if it throws
 * ```
 * @module parigot/sqlite
 */

/** A parameter: `null`/`undefined` is NULL, booleans are 0 or 1, `Uint8Array`s are blobs. */
export type SqlParam = number | bigint | string | boolean | Uint8Array | ArrayBuffer | null | undefined;

/** A column's value: integers as numbers while exact (else BigInt), blobs as `Uint8Array`. */
export type SqlValue = number | bigint | string | Uint8Array | null;

/** What `execute` did. */
export interface Execution {
  changes: number | bigint;
  lastInsertId: number | bigint;
}

/** A statement failed: SQLite's message; `kind` is the case of the WIT error (`sql`, `busy`...). */
export class SqliteError extends Error {
  readonly kind: string;
}
/** The statement reaches past the service's own database (ATTACH, VACUUM, a pragma...). */
export class NotAllowed extends SqliteError {}
/** Another writer held the database past the busy timeout, or the host's SQLite threads were all busy. */
export class Busy extends SqliteError {}
/** The database reached its size limit (`max-size-mib` in the grant). */
export class Full extends SqliteError {}
/** A constraint (UNIQUE, NOT NULL, CHECK, FOREIGN KEY) refused a typed query's change. */
export class Constraint extends SqliteError {}
/** The statement passed a limit of the host's; the message names the wos key. */
export class LimitExceeded extends SqliteError {}

/** Runs one statement that returns no rows, with `params` bound to `?1`, `?2`... */
export function execute(statement: string, ...params: SqlParam[]): Execution;

/** Runs one statement and returns its rows, each an object from column name to value. */
export function query(statement: string, ...params: SqlParam[]): Array<Record<string, SqlValue>>;

/** Runs `body` in a transaction: committed when it returns, rolled back if it throws. */
export function transaction<T>(body: () => T): T;

/** The SDK's error for the error `payload` of a `parigot:sqlite` call or a typed query. */
export function errorOf(payload: { tag: string; val: string }): SqliteError;

/**
 * Runs `call` (a typed query, say), turning the database error it throws into the SDK's
 * `SqliteError`; any other error (an `Err` the service threw, say) goes through as it is.
 */
export function checked<T>(call: () => T): T;

/** A column's WIT value as `query` gives it. */
export function fromSql(value: { tag: string; val?: unknown }): SqlValue;

/** An s64/u64 BigInt as a number when it is exact, else as it is. */
export function toNumber(value: bigint): number | bigint;
