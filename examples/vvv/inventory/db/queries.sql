-- The inventory's typed queries (sqlc's annotations); `parigot-host queries` writes queries.wit.

-- name: OnHand :one
SELECT on_hand FROM stock WHERE item = @item;

-- name: Take :execrows
-- Takes `count` off the shelf if that many are there (else changes nothing).
UPDATE stock SET on_hand = on_hand - @count, out = out + @count WHERE item = @item AND on_hand >= @count;

-- name: PutBack :execrows
-- Puts `count` back if at least that many are out (else changes nothing).
UPDATE stock SET on_hand = on_hand + @count, out = out - @count WHERE item = @item AND out >= @count;

-- name: InStock :many
SELECT item, on_hand FROM stock WHERE on_hand > 0 ORDER BY item;
