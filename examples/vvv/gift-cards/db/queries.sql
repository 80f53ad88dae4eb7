-- The gift cards' typed queries (sqlc's annotations); `parigot-host queries` writes queries.wit.

-- name: AddCard :exec
INSERT INTO cards (code, bought_by, value_cents, balance_cents) VALUES (@code, @bought_by, @cents, @cents);

-- name: GetCard :one
SELECT code, bought_by, balance_cents FROM cards WHERE code = @code;

-- name: Spend :execrows
-- Takes `cents` off the card, if it has that much left.
UPDATE cards SET balance_cents = balance_cents - @cents WHERE code = @code AND balance_cents >= @cents;

-- name: CardsOf :many
SELECT code, bought_by, balance_cents FROM cards WHERE bought_by = @bought_by ORDER BY code;
