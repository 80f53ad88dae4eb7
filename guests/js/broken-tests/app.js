// A JavaScript test component whose tests fail on purpose, for the tests of parigot-host test:
// a failed comparison, a failed check with a note, an error thrown; and one that passes.
import { assert, test } from "parigot/test";
import { initial } from "parigot:testing/pricing@0.1.0";

export { tests } from "parigot/test";

test("passes", () => {
  assert.equal(initial("Vinny"), "V");
});

test("compares wrongly", () => {
  console.log("about to compare");
  const found = initial("Vinny");
  assert.equal(found, "W");
});

test("checks with a note", () => {
  assert.ok(initial("") !== undefined, "an empty name has no initial");
});

test("throws", () => {
  JSON.parse("{not json");
});
