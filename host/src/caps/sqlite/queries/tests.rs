use super::infer::{Field, SqlType, Typed};
use super::*;

const SCHEMA: &str = "
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT,
    pinned BOOLEAN NOT NULL DEFAULT 0,
    score REAL,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE tags (
    note_id INTEGER NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (note_id, tag)
);
CREATE TABLE odd (id INTEGER PRIMARY KEY, data JSONB, loose);
";

/// A grant with the schema above as its one migration and `queries` as its queries file.
pub(crate) fn grant(dir: &Path, queries: &str) -> SqliteTable {
    let migrations = dir.join("migrations");
    std::fs::create_dir_all(&migrations).unwrap();
    std::fs::write(migrations.join("001_init.sql"), SCHEMA).unwrap();
    std::fs::write(dir.join("queries.sql"), queries).unwrap();
    SqliteTable {
        migrations: Some(migrations),
        queries: Some(dir.join("queries.sql")),
        package: Some("notes:db".into()),
        ..SqliteTable::default()
    }
}

fn generate(queries: &str) -> Result<QuerySet, String> {
    let dir = tempfile::tempdir().unwrap();
    QuerySet::read("notes", &grant(dir.path(), queries)).map(|set| set.expect("the grant has queries"))
}

fn field(name: &str, ty: SqlType, nullable: bool) -> Field {
    Field { name: name.into(), field: names::wit_name(name), typed: Typed { ty, nullable } }
}

#[test]
fn result_columns_take_their_types_and_nullability_from_the_schema() {
    let set = generate("-- name: GetNote :one\nSELECT * FROM notes WHERE id = @id").unwrap();
    let query = &set.queries[0];
    assert_eq!(
        query.columns,
        [
            field("id", SqlType::Integer, false),
            field("title", SqlType::Text, false),
            field("body", SqlType::Text, true),
            field("pinned", SqlType::Boolean, false),
            field("score", SqlType::Real, true),
            field("created_at", SqlType::Text, false),
        ]
    );
    assert_eq!(query.params, [field("id", SqlType::Integer, false)]);
}

#[test]
fn the_right_side_of_a_left_join_is_nullable() {
    let set = generate(
        "-- name: NotesWithTags :many\nSELECT n.title, t.tag FROM notes n LEFT JOIN tags t ON t.note_id = n.id \
         WHERE n.pinned = @pinned ORDER BY n.id LIMIT @count OFFSET @skip",
    )
    .unwrap();
    let query = &set.queries[0];
    assert_eq!(query.columns, [field("title", SqlType::Text, false), field("tag", SqlType::Text, true)]);
    assert_eq!(
        query.params,
        [
            field("pinned", SqlType::Boolean, false),
            field("count", SqlType::Integer, false),
            field("skip", SqlType::Integer, false)
        ]
    );
}

#[test]
fn expressions_with_a_clear_type_need_no_cast() {
    let set = generate(
        "-- name: Stats :one\nSELECT count(*) AS notes, coalesce(sum(score), 0.0) AS total, max(score) AS best, \
         CAST(avg(length(title)) AS INTEGER) AS title_length, title || '!' AS shout, score > 1 AS good \
         FROM notes WHERE title LIKE @pattern",
    )
    .unwrap();
    let query = &set.queries[0];
    assert_eq!(
        query.columns,
        [
            field("notes", SqlType::Integer, false),
            field("total", SqlType::Real, false),
            field("best", SqlType::Real, true),
            field("title_length", SqlType::Integer, true),
            field("shout", SqlType::Text, false),
            field("good", SqlType::Boolean, true),
        ]
    );
    assert_eq!(query.params, [field("pattern", SqlType::Text, false)]);
}

#[test]
fn parameters_take_the_type_of_the_columns_they_are_written_to() {
    let set = generate(
        "-- name: AddNote :execlastid\nINSERT INTO notes (title, body, score) VALUES (@title, @body, sqlc.narg(score))\n\
         -- name: Rename :execrows\nUPDATE notes SET title = @title, body = @body WHERE id = @id\n\
         -- name: Tag :exec\nINSERT INTO tags (note_id, tag) VALUES (@note_id, @tag) ON CONFLICT DO NOTHING\n\
         -- name: ByTag :many\nSELECT id FROM notes WHERE id IN (SELECT note_id FROM tags WHERE tag = @tag) \
         AND (sqlc.narg(since) IS NULL OR created_at >= sqlc.narg(since))",
    )
    .unwrap();
    let [add, rename, tag, by_tag] = &set.queries[..] else { panic!("four queries") };
    assert_eq!(
        add.params,
        [field("title", SqlType::Text, false), field("body", SqlType::Text, true), field("score", SqlType::Real, true)]
    );
    assert_eq!(
        rename.params,
        [
            field("title", SqlType::Text, false),
            field("body", SqlType::Text, true),
            field("id", SqlType::Integer, false)
        ]
    );
    assert_eq!(tag.params, [field("note_id", SqlType::Integer, false), field("tag", SqlType::Text, false)]);
    assert_eq!(by_tag.params, [field("tag", SqlType::Text, false), field("since", SqlType::Text, true)]);
    assert_eq!(by_tag.columns, [field("id", SqlType::Integer, false)]);
}

#[test]
fn what_cannot_be_inferred_is_an_error_that_names_the_query_and_the_fix() {
    let cases = [
        (
            "-- name: Sum :many\nSELECT id FROM notes WHERE id + @offset > 3",
            "cannot tell the type of parameter `@offset`",
        ),
        ("-- name: Moved :one\nSELECT id + @offset AS moved FROM notes", "cannot tell the type of column `moved`"),
        ("-- name: Sub :one\nSELECT (SELECT max(tag) FROM tags) AS last", "cannot tell the type of column `last`"),
        ("-- name: Bad :one\nSELECT count(*) FROM notes", "column `count(*)` has no name WIT can use"),
        ("-- name: Gone :many\nSELECT missing FROM notes", "no such column: missing"),
        ("-- name: Rows :exec\nSELECT id FROM notes", "is :exec but returns rows; make it :one or :many"),
        ("-- name: NoRows :one\nDELETE FROM notes", "is :one but returns no rows"),
        ("-- name: Two :exec\nDELETE FROM notes; DELETE FROM tags", "more than one statement"),
        ("-- name: Json :many\nSELECT data FROM odd", "column `odd.data` is declared `JSONB`, which has no WIT type"),
        ("-- name: Loose :many\nSELECT loose FROM odd", "column `odd.loose` is declared without a type"),
        ("-- name: Twice :many\nSELECT n.id, t.note_id AS id FROM notes n JOIN tags t", "are both `id` in WIT"),
        ("-- name: Attach :exec\nATTACH DATABASE 'x.db' AS x", "not authorized"),
    ];
    for (queries, expected) in cases {
        let error = generate(queries).unwrap_err();
        assert!(error.contains(expected), "{queries}:\n  expected `{expected}` in\n  {error}");
        assert!(error.contains("(queries.sql:1)") || error.starts_with("queries.sql"), "{error}");
    }
    let cast = generate("-- name: Sum :one\nSELECT id + CAST(@offset AS INTEGER) AS moved FROM notes").unwrap();
    assert_eq!(cast.queries[0].params, [field("offset", SqlType::Integer, false)]);
}

#[test]
fn a_package_name_must_be_a_wit_package() {
    let dir = tempfile::tempdir().unwrap();
    let mut table = grant(dir.path(), "-- name: Titles :many\nSELECT title FROM notes");
    table.package = Some("Notes".into());
    let error = QuerySet::read("notes", &table).unwrap_err();
    assert!(error.contains("`Notes` is not a WIT package name"), "{error}");
    table.package = None;
    let set = QuerySet::read("notes", &table).unwrap().unwrap();
    assert_eq!(set.interface.to_string(), "notes:db/queries");
}
