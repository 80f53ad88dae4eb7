"""The service's SQLite database (``parigot:sqlite``), granted in the wos with
``[services.NAME.sqlite]``.

    from parigot import sqlite

    sqlite.execute("INSERT INTO notes (text) VALUES (?1)", text)
    for row in sqlite.query("SELECT id, text FROM notes"):
        print(row["id"], row["text"])
    with sqlite.transaction():
        ...  # committed at the end of the block, rolled back if it raises

Parameters and values are ``int``, ``float``, ``str``, ``bytes`` or ``None``. Failures raise
``SqliteError`` (or its ``NotAllowed``, ``Busy``, ``Full`` and ``LimitExceeded``). Import this module only in a service whose
world imports ``parigot:sqlite/sqlite@0.1.0``.
"""

from dataclasses import dataclass
from typing import Dict, List, Union

from componentize_py_types import Err as _Err
from wit_world.imports import sqlite as _wit

SqlValue = Union[int, float, str, bytes, None]


class SqliteError(Exception):
    """A statement failed: SQLite's message."""


class NotAllowed(SqliteError):
    """The statement reaches past the service's own database (ATTACH, VACUUM, a pragma...)."""


class Busy(SqliteError):
    """Another writer held the database past the busy timeout, or the host's SQLite threads were
    all busy: try again later."""


class Full(SqliteError):
    """The database reached its size limit (``max-size-mib`` in the grant)."""


class LimitExceeded(SqliteError):
    """The statement passed a limit of the host's (its length, a value's size, or rows that need
    more memory than the service has left); the message names the wos key that raises it."""


@dataclass(frozen=True)
class Execution:
    """What ``execute`` did."""

    changes: int
    last_insert_id: int


def _param(value: SqlValue) -> "_wit.Value":
    if value is None:
        return _wit.Value_Null()
    if isinstance(value, bool):
        return _wit.Value_Integer(int(value))
    if isinstance(value, int):
        return _wit.Value_Integer(value)
    if isinstance(value, float):
        return _wit.Value_Real(value)
    if isinstance(value, (bytes, bytearray)):
        return _wit.Value_Blob(bytes(value))
    if isinstance(value, str):
        return _wit.Value_Text(value)
    raise TypeError(f"a SQL parameter is int, float, str, bytes or None, not {type(value).__name__}")


def _value(value: "_wit.Value") -> SqlValue:
    return None if isinstance(value, _wit.Value_Null) else value.value


_KINDS = {
    _wit.Error_NotAllowed: NotAllowed,
    _wit.Error_AccessDenied: NotAllowed,
    _wit.Error_Busy: Busy,
    _wit.Error_Full: Full,
    _wit.Error_Limit: LimitExceeded,
}


def _call(function, *args):
    try:
        return function(*args)
    except _Err as failure:
        error = failure.value
        kind = _KINDS.get(type(error), SqliteError)
        raise kind(error.value) from None


def execute(statement: str, *params: SqlValue) -> Execution:
    """Runs one statement that returns no rows, with ``params`` bound to ``?1``, ``?2``..."""
    done = _call(_wit.execute, statement, [_param(p) for p in params])
    return Execution(changes=done.changes, last_insert_id=done.last_insert_id)


def query(statement: str, *params: SqlValue) -> List[Dict[str, SqlValue]]:
    """Runs one statement and returns its rows, each a dict from column name to value."""
    rows = _call(_wit.query, statement, [_param(p) for p in params])
    return [dict(zip(rows.columns, map(_value, row))) for row in rows.rows]


class transaction:
    """A transaction around a ``with`` block: committed at its end, rolled back if it raises.

    A class rather than a ``contextlib.contextmanager``: contextlib re-raises by assigning the
    exception's ``__traceback__``, which fails for componentize-py's ``Err`` (a frozen
    dataclass), so a failed typed query inside the block would trap instead of propagating.
    """

    def __enter__(self) -> None:
        _call(_wit.begin)

    def __exit__(self, kind, error, traceback) -> bool:
        _call(_wit.commit if kind is None else _wit.rollback)
        return False
