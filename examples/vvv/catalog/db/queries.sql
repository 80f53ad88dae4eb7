-- The catalog's typed queries (sqlc's annotations); `parigot-host queries` writes queries.wit.

-- name: ItemById :one
SELECT id, media, content, creator, title, year, price_cents FROM items WHERE id = @id;

-- name: Browse :many
-- Items by title, of one content type and one medium when they are given.
SELECT id, media, content, creator, title, year, price_cents FROM items
WHERE (CAST(sqlc.narg(content) AS TEXT) IS NULL OR content = sqlc.narg(content))
  AND (CAST(sqlc.narg(media) AS TEXT) IS NULL OR media = sqlc.narg(media))
ORDER BY title, id;

-- name: Search :many
-- Items whose title or creator contains the text, ignoring case, by title.
SELECT id, media, content, creator, title, year, price_cents FROM items
WHERE instr(lower(title), lower(CAST(@text AS TEXT))) > 0 OR instr(lower(creator), lower(CAST(@text AS TEXT))) > 0
ORDER BY title, id;
