-- The visits the `{{service}}` service counts: one row per hello.
CREATE TABLE visits (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE INDEX visits_by_name ON visits (name);
