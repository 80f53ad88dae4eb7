// The folders the wos grants the service (`[services.NAME.files]`), through WASI's filesystem:
// JavaScript in a component has no `fs` of its own.
import { getDirectories } from "wasi:filesystem/preopens@0.2.12";
import { payloadOf } from "./errors.js";

const dispose = Symbol.dispose ?? Symbol.for("dispose");
const CHUNK = 64n * 1024n;

/** A file operation failed: `code` is WASI's error code (`no-entry`, `access`, `read-only`...). */
export class FileError extends Error {
  constructor(code, path) {
    super(`${code}: ${path}`);
    this.name = "FileError";
    this.code = code;
    this.path = path;
  }
}

/** Runs `call` on `path`, turning WASI's error into a FileError. */
function checked(path, call) {
  try {
    return call();
  } catch (error) {
    const code = payloadOf(error);
    throw code === undefined ? error : new FileError(String(code), path);
  }
}

/** The granted folder `path` is in, and the rest of the path below it. */
function locate(path) {
  const text = String(path);
  let best;
  for (const [descriptor, mount] of getDirectories()) {
    const root = mount.endsWith("/") ? mount : `${mount}/`;
    const inside = text === mount || text.startsWith(root) || mount === "/";
    if (inside && (!best || mount.length > best.mount.length)) best = { descriptor, mount };
  }
  if (!best) throw new FileError("access", text);
  const rest = text.slice(best.mount.length).replace(/^\/+/, "");
  return { descriptor: best.descriptor, rest: rest === "" ? "." : rest };
}

/** An open file; close it when done (`using` or `close()`). */
export class File {
  #descriptor;
  #path;
  #offset = 0n;

  constructor(descriptor, path) {
    this.#descriptor = descriptor;
    this.#path = path;
  }

  /** Reads the rest of the file. */
  readBytes() {
    const parts = [];
    for (;;) {
      const [bytes, end] = checked(this.#path, () => this.#descriptor.read(CHUNK, this.#offset));
      parts.push(bytes);
      this.#offset += BigInt(bytes.length);
      if (end || bytes.length === 0) break;
    }
    const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) {
      all.set(part, at);
      at += part.length;
    }
    return all;
  }

  readText() {
    return new TextDecoder().decode(this.readBytes());
  }

  /** Writes `data` (a string or bytes) at the current position. */
  write(data) {
    let bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    while (bytes.length > 0) {
      const written = checked(this.#path, () => this.#descriptor.write(bytes, this.#offset));
      this.#offset += written;
      bytes = bytes.subarray(Number(written));
    }
  }

  close() {
    this.#descriptor?.[dispose]?.();
    this.#descriptor = undefined;
  }

  [dispose]() {
    this.close();
  }
}

/** Opens the file at `path`: to read, or with `{ write: true }` to write (created, emptied). */
export function open(path, { write = false } = {}) {
  const { descriptor, rest } = locate(path);
  const openFlags = write ? { create: true, truncate: true } : {};
  const flags = write ? { write: true } : { read: true };
  return new File(checked(path, () => descriptor.openAt({ symlinkFollow: true }, rest, openFlags, flags)), path);
}

export function readBytes(path) {
  const file = open(path);
  try {
    return file.readBytes();
  } finally {
    file.close();
  }
}

export function readText(path) {
  return new TextDecoder().decode(readBytes(path));
}

export function writeText(path, data) {
  const file = open(path, { write: true });
  try {
    file.write(data);
  } finally {
    file.close();
  }
}

export const writeBytes = writeText;

/** The names in the folder at `path`, sorted. */
export function list(path) {
  const { descriptor, rest } = locate(path);
  const folder =
    rest === "." ? descriptor : checked(path, () => descriptor.openAt({}, rest, { directory: true }, { read: true }));
  const stream = checked(path, () => folder.readDirectory());
  const names = [];
  for (let entry; (entry = checked(path, () => stream.readDirectoryEntry())); ) names.push(entry.name);
  stream[dispose]?.();
  if (folder !== descriptor) folder[dispose]?.();
  return names.sort();
}
