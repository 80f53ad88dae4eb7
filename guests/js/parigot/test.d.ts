/**
 * Tests that `parigot-host test` runs, each in fresh instances. A test component's world
 * includes `parigot:test/test-component@0.1.0`; its module registers tests and exports them:
 *
 * ```js
 * import { assert, test } from "parigot/test";
 * import { quote } from "parigot:testing/pricing@0.1.0";
 * export { tests } from "parigot/test";
 *
 * test("half coupon halves", () => {
 *   assert.equal(quote(order("HALF")).totalCents, 500n);
 * });
 * ```
 * A failed check reports the expected and the actual value, and the line of the check.
 * @module parigot/test
 */

/** Registers the test `name`; tests run in the order they were registered. */
export function test(name: string, body: () => void): void;

/** A failed check. */
export class AssertionError extends Error {
  readonly expected: string | undefined;
  readonly actual: string | undefined;
}

/** Checks; `note` is added to the failure's message. */
export const assert: {
  /** `value` is truthy. */
  ok(value: unknown, note?: string): void;
  /**
   * `actual` deep-equals `expected`: arrays, typed arrays, maps and sets by their items, other
   * objects by their own properties (one set to `undefined` counts as absent).
   */
  equal<T>(actual: T, expected: T, note?: string): void;
  /** `actual` does not deep-equal `unexpected`. */
  notEqual<T>(actual: T, unexpected: T, note?: string): void;
  /**
   * `body` throws: an instance of `expected` when it is a class, or an import's error whose
   * payload deep-equals `expected` (`{ tag: "empty-order" }`). Returns the payload of an
   * import's error, else the error.
   */
  throws(body: () => unknown, expected?: unknown, note?: string): unknown;
  /** Fails the test. */
  fail(note?: string): never;
};

/** The `tests` export of a test component: `export { tests } from "parigot/test"`. */
export const tests: {
  names(): string[];
  run(name: string): void;
};
