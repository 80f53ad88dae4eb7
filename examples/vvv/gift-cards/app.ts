// Vinny's gift cards, in TypeScript: a logged-in customer buys a card, anyone holding its code
// spends it. Cards live in the service's own database, through the typed queries of
// db/queries.sql (the module `vvv:gift-cards-db/queries`).
import { context, Err, log } from "parigot";
import { checked } from "parigot/sqlite";
import * as db from "vvv:gift-cards-db/queries";
import type { CardError, GiftCard, GiftCards } from "vvv:shop/gift-cards@0.1.0";

/** The most a card is worth: 500 dollars. */
const MAX_CENTS = 50_000n;

/** Returns `err(error)` from the exported function. */
function refuse(error: CardError): never {
  throw new Err(error);
}

/** The logged-in customer, or `login-required`. */
function customer(): string {
  return context.requireUser() ?? refuse({ tag: "login-required" });
}

/** A new card's code: `VVV-` and 12 hex digits from WASI's random source (seeded in tests). */
function newCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return `VVV-${[...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("").toUpperCase()}`;
}

function card(row: { code: string; boughtBy: string; balanceCents: bigint }): GiftCard {
  return { code: row.code, balanceCents: row.balanceCents, boughtBy: row.boughtBy };
}

export const giftCards: GiftCards = {
  buy(cents) {
    const buyer = customer();
    if (cents <= 0n || cents > MAX_CENTS) refuse({ tag: "invalid-amount", val: cents });
    const code = newCode();
    checked(() => db.addCard(code, buyer, cents));
    log.info("sold a gift card", { buyer, cents });
    return { code, balanceCents: cents, boughtBy: buyer };
  },
  balance(code) {
    const found = checked(() => db.getCard(code)) ?? refuse({ tag: "unknown-card", val: code });
    return found.balanceCents;
  },
  redeem(code, cents) {
    if (cents <= 0n) refuse({ tag: "invalid-amount", val: cents });
    const found = checked(() => db.getCard(code)) ?? refuse({ tag: "unknown-card", val: code });
    if (checked(() => db.spend(cents, code)) === 0n) refuse({ tag: "insufficient", val: found.balanceCents });
    log.info("redeemed a gift card", { cents });
    return found.balanceCents - cents;
  },
  mine() {
    const buyer = customer();
    return checked(() => db.cardsOf(buyer)).map(card);
  },
};
