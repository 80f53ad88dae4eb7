-- The benchmark's typed queries.

-- name: GetItem :one
SELECT id, name, price FROM items WHERE id = @id;

-- name: ItemsFrom :many
SELECT id, name, price FROM items WHERE id >= @first ORDER BY id LIMIT @count;

-- name: AddKinds :execlastid
-- Parameters of every type, 24 flat values in all: more than a call passes flat, so they
-- cross in memory.
INSERT INTO kinds (real, flag, bytes, maybe_text, maybe_real, maybe_flag, maybe_bytes, a, b, c, d, e)
VALUES (@real, @flag, @bytes, @maybe_text, @maybe_real, @maybe_flag, @maybe_bytes, @a, @b, @c, @d, @e);

-- name: GetKinds :one
SELECT id, real, flag, bytes, maybe_text, maybe_real, maybe_flag, maybe_bytes, a, b, c, d, e FROM kinds WHERE id = @id;

-- name: AllKinds :many
SELECT id, real, flag, bytes, maybe_text, maybe_real, maybe_flag, maybe_bytes, a, b, c, d, e FROM kinds ORDER BY id;

-- name: MaybeTexts :many
SELECT maybe_text FROM kinds ORDER BY id;
