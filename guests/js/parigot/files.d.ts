/**
 * The folders the wos grants the service (`[services.NAME.files]`), at the paths it names.
 * JavaScript in a component has no `fs`: this module works through WASI's filesystem, which
 * the build adds to every JavaScript service's world. A path outside every grant is refused.
 * @module parigot/files
 */

/** A file operation failed: `code` is WASI's error code (`no-entry`, `access`, `read-only`...). */
export class FileError extends Error {
  readonly code: string;
  readonly path: string;
}

/** An open file, read or written from its start on; close it when done. */
export class File {
  /** Reads the rest of the file. */
  readBytes(): Uint8Array;
  /** Reads the rest of the file as UTF-8. */
  readText(): string;
  /** Writes `data` (UTF-8 for a string) at the current position. */
  write(data: string | Uint8Array): void;
  close(): void;
}

/** Opens the file at `path`: to read, or with `{ write: true }` to write (created, emptied). */
export function open(path: string, options?: { write?: boolean }): File;

export function readText(path: string): string;
export function readBytes(path: string): Uint8Array;
/** Writes `data` to the file at `path`, creating or replacing it. */
export function writeText(path: string, data: string | Uint8Array): void;
/** Writes `data` to the file at `path`, creating or replacing it. */
export function writeBytes(path: string, data: string | Uint8Array): void;

/** The names in the folder at `path`, sorted. */
export function list(path: string): string[];
