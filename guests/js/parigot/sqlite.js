// The service's SQLite database (`parigot:sqlite/sqlite`), granted in the wos.
import * as db from "parigot:sqlite/sqlite@0.1.0";
import { Err, payloadOf, show } from "./errors.js";

/** A statement failed: SQLite's message (`kind` is the WIT case: "sql", "busy", ...). */
export class SqliteError extends Error {
  constructor(message, kind = "sql") {
    super(message);
    this.name = new.target.name;
    this.kind = kind;
  }
}

/** The statement reaches past the service's own database (ATTACH, VACUUM, a pragma...). */
export class NotAllowed extends SqliteError {}

/** Another writer held the database past the busy timeout, or the host's SQLite threads were
 * all busy: try again later. */
export class Busy extends SqliteError {}

/** The database reached its size limit (`max-size-mib` in the grant). */
export class Full extends SqliteError {}

/** A constraint (UNIQUE, NOT NULL, CHECK, FOREIGN KEY) refused a typed query's change. */
export class Constraint extends SqliteError {}

/** The statement passed a limit of the host's; the message names the wos key. */
export class LimitExceeded extends SqliteError {}

const KINDS = {
  "access-denied": NotAllowed,
  "not-allowed": NotAllowed,
  busy: Busy,
  full: Full,
  limit: LimitExceeded,
  constraint: Constraint,
  sql: SqliteError,
};

/** The SDK's error for the `parigot:sqlite` error `payload` (also what typed queries return). */
export function errorOf(payload) {
  const Kind = KINDS[payload.tag] ?? SqliteError;
  return new Kind(payload.val, payload.tag);
}

/** Runs `call`, turning the error of a `parigot:sqlite` call or a typed query into the SDK's
 * error; any other error (an `Err` the service threw, say) goes through as it is. */
export function checked(call) {
  try {
    return call();
  } catch (error) {
    const payload = payloadOf(error);
    const fromDatabase = !(error instanceof Err) && Object.hasOwn(KINDS, payload?.tag);
    throw fromDatabase ? errorOf(payload) : error;
  }
}

function param(value) {
  if (value === null || value === undefined) return { tag: "null" };
  if (typeof value === "boolean") return { tag: "integer", val: value ? 1n : 0n };
  if (typeof value === "bigint") return { tag: "integer", val: value };
  if (typeof value === "number") {
    return Number.isSafeInteger(value) ? { tag: "integer", val: BigInt(value) } : { tag: "real", val: value };
  }
  if (typeof value === "string") return { tag: "text", val: value };
  if (value instanceof Uint8Array) return { tag: "blob", val: value };
  if (value instanceof ArrayBuffer) return { tag: "blob", val: new Uint8Array(value) };
  throw new TypeError(`a SQL parameter is a number, bigint, string, boolean, Uint8Array or null, not ${show(value)}`);
}

/** A column's value: integers as numbers while they are exact, else as BigInt. */
export function fromSql(value) {
  switch (value.tag) {
    case "null":
      return null;
    case "integer":
      return toNumber(value.val);
    default:
      return value.val;
  }
}

/** `value` (an s64/u64 BigInt) as a number when it is exact, else as it is. */
export function toNumber(value) {
  return typeof value === "bigint" && value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

export function execute(statement, ...params) {
  const done = checked(() => db.execute(statement, params.map(param)));
  return { changes: toNumber(done.changes), lastInsertId: toNumber(done.lastInsertId) };
}

export function query(statement, ...params) {
  const result = checked(() => db.query(statement, params.map(param)));
  return result.rows.map((row) => Object.fromEntries(result.columns.map((column, i) => [column, fromSql(row[i])])));
}

export function transaction(body) {
  checked(() => db.begin());
  let result;
  try {
    result = body();
  } catch (error) {
    checked(() => db.rollback());
    throw error;
  }
  if (result instanceof Promise) {
    checked(() => db.rollback());
    throw new TypeError("transaction(fn): fn must be synchronous (a call's statements run in order)");
  }
  checked(() => db.commit());
  return result;
}
