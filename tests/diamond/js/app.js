// Tests of the diamond's top service in JavaScript: left is real, right a mock whose answers
// each test queues; the mocked pricing answers by arguments and records typed calls.
import { assert, test } from "parigot/test";
import { attempt, CallFailed, injected } from "parigot/sim";
import * as mocks from "parigot:test/mocks@0.1.0";
import * as session from "parigot:test/session@0.1.0";
import * as pricingMock from "parigot:mock/parigot-testing-pricing@0.1.0";
import * as rightMock from "parigot:mock/parigot-testing-right@0.1.0";
import { initial, quote } from "parigot:testing/pricing@0.1.0";
import { both } from "parigot:testing/top@0.1.0";
import { crash, ping } from "parigot:testing/faults@0.1.0";
import { membersOnly, whoami } from "parigot:testing/users@0.1.0";

export { tests } from "parigot/test";

const RIGHT = "parigot:testing/right";

const order = (customer) => ({ customer, currency: "eur", lines: [], coupon: undefined, extras: {} });

test("both adds the real left and the mocked right", () => {
  rightMock.whenViaRight(40);
  assert.equal(both(), 41);
  assert.equal(rightMock.viaRightCalls(), 1);
});

test("every test starts clean", () => {
  assert.equal(rightMock.viaRightCalls(), 0);
  assert.equal(pricingMock.quoteCalls(), []);
});

test("WAVE answers and calls steer the same mock", () => {
  mocks.answer(RIGHT, "via-right", "2");
  assert.equal(both(), 3);
  assert.equal(mocks.calls(RIGHT, "via-right"), ["()"]);
  assert.equal(rightMock.viaRightCalls(), 1);
});

test("a typed mock answers by arguments, then in order", () => {
  const quotation = { totalCents: 1250n, currency: "eur", notes: ["mocked"], reference: new Uint8Array([1, 2]) };
  pricingMock.whenQuoteWith(order("vinny"), { tag: "err", val: { tag: "unknown-coupon", val: "NOPE" } });
  pricingMock.whenQuote({ tag: "ok", val: quotation });
  assert.equal(quote(order("ada")).totalCents, 1250n);
  for (let i = 0; i < 2; i++) {
    assert.throws(() => quote(order("vinny")), { tag: "unknown-coupon", val: "NOPE" });
  }
  pricingMock.whenInitialWith("zoë", "Z");
  assert.equal(initial("zoë"), "Z");
});

test("a typed mock records each call with its arguments", () => {
  pricingMock.whenQuote({ tag: "err", val: { tag: "empty-order" } });
  pricingMock.whenQuote({ tag: "err", val: { tag: "too-large", val: 7n } });
  for (const customer of ["ada", "bob"]) {
    assert.throws(() => quote(order(customer)));
  }
  assert.equal(
    pricingMock.quoteCalls().map((call) => call.order.customer),
    ["ada", "bob"],
  );
});

test("calls run as the user the test logs in as", () => {
  assert.equal(whoami(), undefined);
  session.logInAs("vinny");
  assert.equal(whoami(), "vinny");
  assert.equal(membersOnly(), "vinny");
  session.logInAs(undefined);
  assert.equal(whoami(), undefined);
});

test("a failed call is caught and the calls after it are not made", () => {
  const failed = assert.throws(() => attempt(() => {
    crash("on purpose");
    return both();
  }), CallFailed);
  assert.equal([failed.service, failed.function, failed.kind], ["d", "parigot:testing/faults@0.1.0#crash", "trap"]);
  // both was not called: it would have asked the mocked right.
  assert.equal(rightMock.viaRightCalls(), 0);
  // The test goes on, and d answers again, from a fresh instance.
  assert.equal(attempt(ping), 1);
  assert.equal(injected(), []);
});

test("faults the simulation injects are caught and named", () => {
  // Under --sim (the wos's [sim] traps calls into d: b's, on the way left), some of these
  // calls fail.
  for (let i = 0; i < 8; i++) {
    rightMock.whenViaRight(1);
    try {
      attempt(both);
    } catch (failed) {
      if (!(failed instanceof CallFailed)) throw failed;
      const faults = injected();
      assert.ok(faults.length > 0, `${failed.message}, with no fault injected`);
      const last = faults[faults.length - 1];
      assert.equal([last.kind, last.service], ["call-trap", "d"]);
      assert.equal([failed.kind, failed.service], ["trap", "d"]);
    }
  }
});
