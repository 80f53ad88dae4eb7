"""The Python test service of parigot:tagged-notes: notes with tags through the typed queries
the host generates from db/queries.sql (``wit_world.imports.queries``), and the SDK's
transactions."""

from typing import List, Optional

from componentize_py_types import Err
from parigot import sqlite
from wit_world import exports
from wit_world.imports import queries
from wit_world.exports.tagged_notes import Note, TagCount

KINDS = {
    queries.DbError_Sql: "sql",
    queries.DbError_Constraint: "constraint",
    queries.DbError_Busy: "busy",
    queries.DbError_Full: "full",
    queries.DbError_Limit: "limit",
}


def describe(error: Err) -> str:
    """A failed query (its ``Err`` carries the ``db-error``) as ``kind: message``."""
    failure = error.value
    return f"{KINDS[type(failure)]}: {failure.value}"


def with_tags(id: int, title: str, body: Optional[str]) -> Note:
    return Note(id=id, title=title, body=body, tags=queries.tags_of(id))


class TaggedNotes(exports.TaggedNotes):
    def add(self, title: str, body: Optional[str], tags: List[str]) -> int:
        try:
            with sqlite.transaction():
                id = queries.add_note(title, body)
                for tag in tags:
                    queries.tag_note(id, tag)
            return id
        except Err as error:
            raise Err(describe(error)) from None

    def get(self, id: int) -> Optional[Note]:
        try:
            row = queries.get_note(id)
            return None if row is None else with_tags(row.id, row.title, row.body)
        except Err as error:
            raise Err(describe(error)) from None

    def tagged(self, tag: str) -> List[Note]:
        try:
            return [with_tags(row.id, row.title, row.body) for row in queries.notes_tagged(tag)]
        except Err as error:
            raise Err(describe(error)) from None

    def remove(self, id: int) -> bool:
        try:
            return queries.delete_note(id) > 0
        except Err as error:
            raise Err(describe(error)) from None

    def tag_counts(self) -> List[TagCount]:
        try:
            return [TagCount(tag=row.tag, notes=row.notes) for row in queries.tag_counts()]
        except Err as error:
            raise Err(describe(error)) from None

    def add_then_crash(self, title: str) -> None:
        sqlite.execute("BEGIN")
        queries.add_note(title, None)
        raise RuntimeError("crashing with a transaction open")
