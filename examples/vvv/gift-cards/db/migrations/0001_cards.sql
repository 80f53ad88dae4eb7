-- One row per gift card: its code (what the customer spends it with), who bought it, what it
-- was worth and what is left on it, in US cents.
CREATE TABLE cards (
    code TEXT PRIMARY KEY NOT NULL,
    bought_by TEXT NOT NULL,
    value_cents INTEGER NOT NULL CHECK (value_cents > 0),
    balance_cents INTEGER NOT NULL CHECK (balance_cents >= 0 AND balance_cents <= value_cents)
);
CREATE INDEX cards_by_buyer ON cards (bought_by);
