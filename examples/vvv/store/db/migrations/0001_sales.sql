-- One row per sale: the item with its price and content type as they were when it sold, who
-- bought it (the logged-in user) and when (milliseconds since the Unix epoch, UTC).
CREATE TABLE sales (
    id INTEGER PRIMARY KEY,
    item INTEGER NOT NULL,
    content TEXT NOT NULL CHECK (content IN ('music', 'movie', 'tv')),
    price_cents INTEGER NOT NULL CHECK (price_cents > 0),
    customer TEXT NOT NULL,
    sold_at_ms INTEGER NOT NULL
);
CREATE INDEX sales_by_time ON sales (sold_at_ms);
