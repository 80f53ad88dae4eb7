// Tests of the pricing service in JavaScript, run by parigot-host test: `test(name, fn)` with
// the SDK's checks, each test in fresh instances.
import { assert, test } from "parigot/test";
import { initial, quote } from "parigot:testing/pricing@0.1.0";

export { tests } from "parigot/test";

function order(lines, coupon) {
  return { customer: "ada", currency: "usd", lines, coupon, extras: {} };
}

const tea = (quantity) => ({ sku: "tea", quantity, unitCents: 250n });

test("lines add up", () => {
  const cake = { sku: "cake", quantity: 1, unitCents: 400n };
  assert.equal(quote(order([tea(3), cake])).totalCents, 1150n);
});

test("half coupon halves", () => {
  assert.equal(quote(order([tea(4)], "HALF")).totalCents, 500n);
});

test("an empty order is refused", () => {
  assert.throws(() => quote(order([])), { tag: "empty-order" });
});

test("initial", () => {
  assert.equal(initial("Zoë"), "Z");
  assert.equal(initial(""), undefined);
});
