-- The store's typed queries (sqlc's annotations); `parigot-host queries` writes queries.wit.

-- name: RecordSale :execlastid
INSERT INTO sales (item, content, price_cents, customer, sold_at_ms)
VALUES (@item, @content, @price_cents, @customer, @sold_at_ms);

-- name: Revenue :one
-- The takings of the sales from `from_ms` (inclusive) to `to_ms` (exclusive).
SELECT CAST(coalesce(sum(price_cents), 0) AS INTEGER) AS cents FROM sales
WHERE sold_at_ms >= @from_ms AND sold_at_ms < @to_ms;

-- name: SalesPerItem :many
-- How many of each item sold, per content type, most sold first (ties: lowest item id).
SELECT content, item, count(*) AS sold FROM sales GROUP BY content, item ORDER BY content, sold DESC, item;
