// Tests of Vinny's gift cards, in TypeScript: each test on a fresh database, as the customer it
// logs in as.
import { assert, test } from "parigot/test";
import { logInAs } from "parigot:test/session@0.1.0";
import { attempt, injected } from "parigot/sim";
import { balance, buy, mine, redeem } from "vvv:shop/gift-cards@0.1.0";

export { tests } from "parigot/test";

test("a card bought is worth what was paid, and spends down", () => {
  logInAs("vinny");
  const card = buy(2500n);
  assert.equal(card.balanceCents, 2500n);
  assert.equal(card.boughtBy, "vinny");
  assert.ok(/^VVV-[0-9A-F]{12}$/.test(card.code), `a code like VVV-0123456789AB, not ${card.code}`);
  logInAs(undefined);
  assert.equal(redeem(card.code, 1000n), 1500n, "anyone holding the code may spend it");
  assert.equal(balance(card.code), 1500n);
});

test("a card cannot pay more than is left on it", () => {
  logInAs("vinny");
  const { code } = buy(500n);
  assert.throws(() => redeem(code, 501n), { tag: "insufficient", val: 500n });
  assert.equal(redeem(code, 500n), 0n);
  assert.throws(() => redeem(code, 1n), { tag: "insufficient", val: 0n });
});

test("amounts out of range and unknown codes are refused", () => {
  logInAs("vinny");
  assert.throws(() => buy(0n), { tag: "invalid-amount", val: 0n });
  assert.throws(() => buy(50_001n), { tag: "invalid-amount", val: 50_001n });
  assert.throws(() => balance("VVV-NOPE"), { tag: "unknown-card", val: "VVV-NOPE" });
  assert.throws(() => redeem("VVV-NOPE", 1n), { tag: "unknown-card", val: "VVV-NOPE" });
});

test("each customer sees their own cards", () => {
  logInAs("vinny");
  const first = buy(1000n);
  const second = buy(2000n);
  logInAs("ada");
  buy(300n);
  logInAs("vinny");
  const codes = mine().map((card) => card.code);
  assert.equal(codes, [first.code, second.code].sort());
});

test("buying a card, or listing one's cards, needs a login", () => {
  assert.throws(() => buy(100n), { tag: "login-required" });
  assert.throws(() => mine(), { tag: "login-required" });
});

test("attempt returns what the call returned, typed, and lets the service's own refusal through", () => {
  logInAs("vinny");
  const card = attempt(() => buy(700n));
  assert.equal(card.balanceCents, 700n);
  assert.throws(() => attempt(() => redeem(card.code, 701n)), { tag: "insufficient", val: 700n });
  assert.equal(injected().length, 0, "no simulation, no faults");
});
