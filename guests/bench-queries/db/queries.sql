-- The benchmark's typed queries.

-- name: GetItem :one
SELECT id, name, price FROM items WHERE id = @id;

-- name: ItemsFrom :many
SELECT id, name, price FROM items WHERE id >= @first ORDER BY id LIMIT @count;
