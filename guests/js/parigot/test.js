// Tests that `parigot-host test` runs: `test("name", fn)` registers one, `assert` checks, and
// the module's `tests` is the export a test component's world asks for.
import { payloadOf, show } from "./errors.js";

const registered = [];

/** Registers the test `name`; `parigot-host test` runs them in the order they were registered. */
export function test(name, body) {
  if (typeof body !== "function") throw new TypeError(`test ${show(name)} needs a function`);
  if (registered.some(([known]) => known === name)) throw new Error(`two tests are named ${show(name)}`);
  registered.push([String(name), body]);
}

/** A failed check: what was expected and what was found. */
export class AssertionError extends Error {
  constructor(message, expected, actual) {
    super(message);
    this.name = "AssertionError";
    this.expected = expected;
    this.actual = actual;
  }
}

/** Deep equality, as a test means it: arrays, typed arrays, maps and sets by their items, other
 * objects by their own properties (one set to `undefined` is as good as none: a WIT variant
 * case without payload has `val: undefined`), whatever their prototypes. */
function equal(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (kind(a) !== kind(b)) return false;
  if (a instanceof Map || a instanceof Set) return equal([...a], [...b]);
  if (Array.isArray(a) || ArrayBuffer.isView(a)) return a.length === b.length && [...a].every((item, i) => equal(item, b[i]));
  const defined = (value) => Object.keys(value).filter((key) => value[key] !== undefined);
  const keys = defined(a);
  return keys.length === defined(b).length && keys.every((key) => equal(a[key], b[key]));
}

/** What kind of container `value` is, by what it is rather than by its class (the component's
 * bindings make lists that are arrays, but not always of this module's `Array`). */
function kind(value) {
  if (Array.isArray(value)) return "array";
  if (ArrayBuffer.isView(value)) return Object.prototype.toString.call(value);
  if (value instanceof Map) return "map";
  if (value instanceof Set) return "set";
  return "object";
}

function failed(message, expected, actual, note) {
  throw new AssertionError(note ? `${message}: ${note}` : message, expected, actual);
}

/** Checks; each failure shows the expected and the actual value. */
export const assert = {
  ok(value, note) {
    if (!value) failed("expected a true value", "a true value", show(value), note);
  },
  equal(actual, expected, note) {
    if (!equal(actual, expected)) failed("values differ", show(expected), show(actual), note);
  },
  notEqual(actual, unexpected, note) {
    if (equal(actual, unexpected)) failed("values are equal", `not ${show(unexpected)}`, show(actual), note);
  },
  throws(body, expected, note) {
    try {
      body();
    } catch (error) {
      check(error, expected, note);
      return payloadOf(error) ?? error;
    }
    failed("expected a throw", expected === undefined ? "a throw" : describeExpected(expected), "no throw", note);
  },
  fail(note) {
    failed("failed", undefined, undefined, note);
  },
};

function describeExpected(expected) {
  return typeof expected === "function" ? `a ${expected.name}` : show(expected);
}

/** `expected` is an Error class the error must be an instance of, or the payload an import's
 * error must carry. */
function check(error, expected, note) {
  if (expected === undefined) return;
  if (typeof expected === "function") {
    if (!(error instanceof expected)) failed("threw something else", describeExpected(expected), thrown(error), note);
    return;
  }
  const payload = payloadOf(error);
  if (!equal(payload, expected)) failed("threw another error", show(expected), thrown(error), note);
}

function thrown(error) {
  const payload = payloadOf(error);
  return payload !== undefined ? `error ${show(payload)}` : show(error);
}

/** The `tests` export of a test component: `export { tests } from "parigot/test"`. */
export const tests = {
  names() {
    return registered.map(([name]) => name);
  },
  run(name) {
    const found = registered.find(([known]) => known === name);
    if (!found) throw { message: `no test ${name}`, expected: undefined, actual: undefined, location: undefined };
    try {
      const result = found[1]();
      if (result instanceof Promise) throw new TypeError("a test is a synchronous function");
    } catch (error) {
      throw failure(error);
    }
  },
};

function failure(error) {
  if (error instanceof AssertionError) {
    return { message: error.message, expected: error.expected, actual: error.actual, location: locate(error) };
  }
  const payload = payloadOf(error);
  const message = payload !== undefined ? `an import returned error ${show(payload)}` : `threw ${thrown(error)}`;
  return { message, expected: undefined, actual: undefined, location: locate(error) };
}

/** Where `error` was thrown from in the service's own files (`app.js:12`), read from its stack
 * and the table from the bundle's lines to theirs that the build appends. */
function locate(error) {
  const table = globalThis[Symbol.for("parigot.sourceLines")];
  if (!table) return undefined;
  for (const frame of String(error?.stack ?? "").split("\n")) {
    const line = /bundle\.js:(\d+):\d+$/.exec(frame.trim());
    const mapped = line && table.lines[Number(line[1]) - 1];
    if (mapped && !table.sources[mapped[0]].startsWith("(parigot SDK)")) return `${table.sources[mapped[0]]}:${mapped[1]}`;
  }
  return undefined;
}
