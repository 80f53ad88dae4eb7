"""The Python test service of parigot:notes: notes in its SQLite database through the SDK's
``parigot.sqlite``, and statements the host must refuse, attempted on request."""

from componentize_py_types import Err
from parigot import sqlite
from wit_world import exports

KINDS = {
    sqlite.NotAllowed: "not-allowed",
    sqlite.Busy: "busy",
    sqlite.Full: "full",
    sqlite.LimitExceeded: "limit",
    sqlite.SqliteError: "sql",
}


def describe(error: sqlite.SqliteError) -> str:
    return f"{KINDS[type(error)]}: {error}"


class Notes(exports.Notes):
    def add(self, text: str) -> int:
        try:
            return sqlite.execute("INSERT INTO notes (text) VALUES (?1)", text).last_insert_id
        except sqlite.SqliteError as error:
            raise Err(describe(error)) from None

    def all(self) -> list:
        try:
            return [row["text"] for row in sqlite.query("SELECT text FROM notes ORDER BY id")]
        except sqlite.SqliteError as error:
            raise Err(describe(error)) from None

    def add_in_transaction(self, text: str, commit: bool) -> None:
        try:
            if commit:
                with sqlite.transaction():
                    sqlite.execute("INSERT INTO notes (text) VALUES (?1)", text)
            else:
                # Left open on purpose: the host rolls it back when this call ends.
                sqlite.execute("BEGIN")
                sqlite.execute("INSERT INTO notes (text) VALUES (?1)", text)
        except sqlite.SqliteError as error:
            raise Err(describe(error)) from None

    def attempt(self, statement: str) -> str:
        try:
            sqlite.execute(statement)
            return "ok"
        except sqlite.SqliteError as error:
            return describe(error)

    def attempt_query(self, statement: str) -> str:
        try:
            return f"{len(sqlite.query(statement))} row(s)"
        except sqlite.SqliteError as error:
            return describe(error)
