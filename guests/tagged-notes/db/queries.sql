-- The typed queries of the tagged-notes services, in sqlc's annotation syntax.
-- `parigot-host queries wos.toml` turns them into queries.wit.

-- name: AddNote :execlastid
-- Adds a note without tags; returns its id.
INSERT INTO notes (title, body) VALUES (@title, @body);

-- name: TagNote :exec
-- Puts a tag on a note (a tag it already has is a constraint error).
INSERT INTO tags (note_id, tag) VALUES (@note_id, @tag);

-- name: GetNote :one
SELECT id, title, body FROM notes WHERE id = @id;

-- name: TagsOf :many
SELECT tag FROM tags WHERE note_id = @note_id ORDER BY tag;

-- name: NotesTagged :many
SELECT n.id, n.title, n.body
FROM notes n JOIN tags t ON t.note_id = n.id
WHERE t.tag = @tag
ORDER BY n.id;

-- name: DeleteNote :execrows
DELETE FROM notes WHERE id = @id;

-- name: TagCounts :many
-- Every tag with the number of notes that have it, most used first.
SELECT tag, count(*) AS notes FROM tags GROUP BY tag ORDER BY notes DESC, tag;
