-- Stock per catalog item: how many are on the shelf, and how many are out (reserved by a sale
-- and not released), so a release can never put back more than went out.
CREATE TABLE stock (
    item INTEGER PRIMARY KEY,
    on_hand INTEGER NOT NULL CHECK (on_hand >= 0),
    out INTEGER NOT NULL DEFAULT 0 CHECK (out >= 0)
);
