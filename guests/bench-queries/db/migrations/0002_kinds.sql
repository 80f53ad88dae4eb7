-- A row of every column type, present and absent: the host's test of how query parameters
-- and rows cross into the guest (host/tests/all/typed_queries.rs).
CREATE TABLE kinds (
    id INTEGER PRIMARY KEY,
    real REAL NOT NULL,
    flag BOOLEAN NOT NULL,
    bytes BLOB NOT NULL,
    maybe_text TEXT,
    maybe_real REAL,
    maybe_flag BOOLEAN,
    maybe_bytes BLOB,
    a TEXT NOT NULL,
    b TEXT NOT NULL,
    c TEXT NOT NULL,
    d TEXT NOT NULL,
    e TEXT NOT NULL
);
