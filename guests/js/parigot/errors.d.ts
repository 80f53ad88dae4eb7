/** Errors of exported functions. @module parigot/errors */

/**
 * `throw new Err(payload)` in an exported function whose result is `result<T, E>` returns
 * `err(payload)` to its caller (`payload` is an `E`: a string, a variant `{ tag, val }`...).
 * Any other error thrown from an export traps the instance.
 */
export class Err<E = unknown> extends Error {
  constructor(payload: E);
  /** What the caller receives as the error. */
  readonly payload: E;
}

/** A short text for an error payload: a string as it is, a variant `tag(val)`, else JSON. */
export function describe(payload: unknown): string;

/** A value as a test report shows it: JSON, with BigInts as `12n`. */
export function show(value: unknown): string;

/**
 * The payload of an error a call to an import threw (componentize-js throws a
 * `ComponentError` whose `payload` is the `err` the callee returned), or `undefined` for any
 * other error.
 */
export function payloadOf(error: unknown): unknown;
