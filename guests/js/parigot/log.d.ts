/**
 * Structured logging to the host (`parigot:log/log`). Each line carries the service's name and
 * the call's trace id; the service's level in the wos decides which are kept.
 * @module parigot/log
 */

/** A level, from the most to the least verbose. */
export type Level = "trace" | "debug" | "info" | "warn" | "error";

/**
 * Structured fields of a line: numbers that are exact integers and BigInts are integers, other
 * numbers reals, booleans booleans; anything else is text (objects as JSON).
 */
export type Fields = Record<string, unknown>;

export function trace(message: string, fields?: Fields): void;
export function debug(message: string, fields?: Fields): void;
export function info(message: string, fields?: Fields): void;
export function warn(message: string, fields?: Fields): void;
export function error(message: string, fields?: Fields): void;

/** Whether the host keeps lines at `level` for this service. */
export function enabled(level: Level): boolean;

/**
 * Sends `console.log` and `console.info` (info), `console.debug`, `console.warn`,
 * `console.error` and `console.trace` to the host as lines of those levels, instead of the
 * service's output. Call it at the top of the service's module.
 */
export function routeConsole(): void;
