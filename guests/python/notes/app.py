"""The Python test service of parigot:notes: notes in its SQLite database, and statements the
host must refuse, attempted on request."""

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import sqlite as db


def describe(error) -> str:
    kinds = {
        db.Error_AccessDenied: "access-denied",
        db.Error_NotAllowed: "not-allowed",
        db.Error_Sql: "sql",
        db.Error_Busy: "busy",
    }
    return f"{kinds[type(error)]}: {error.value}"


def run(call):
    try:
        return call()
    except Err as failure:
        raise Err(describe(failure.value)) from None


class Notes(exports.Notes):
    def add(self, text: str) -> int:
        return run(lambda: db.execute("INSERT INTO notes (text) VALUES (?1)", [db.Value_Text(text)])).last_insert_id

    def all(self) -> list:
        rows = run(lambda: db.query("SELECT text FROM notes ORDER BY id", []))
        return [row[0].value for row in rows.rows if row and isinstance(row[0], db.Value_Text)]

    def add_in_transaction(self, text: str, commit: bool) -> None:
        run(db.begin)
        run(lambda: db.execute("INSERT INTO notes (text) VALUES (?1)", [db.Value_Text(text)]))
        if commit:
            run(db.commit)

    def attempt(self, statement: str) -> str:
        try:
            db.execute(statement, [])
            return "ok"
        except Err as failure:
            return describe(failure.value)
