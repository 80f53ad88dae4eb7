"""Logging to the host (``parigot:log/log``) through the standard ``logging`` module.

``install()`` adds a ``HostHandler`` to the root logger. Each record becomes one host line: its
level (below DEBUG is trace; CRITICAL is error), its message, and as structured fields the
``extra={...}`` values it was logged with (ints, floats and bools keep their type; anything
else is text). The service's level in the wos decides what is kept.

componentize-py runs a module's top level when it builds the component: calling ``install()``
there is fine, it only sets up Python objects.
"""

import logging

from wit_world.imports import log as _wit

# The attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

# The largest integer a field carries as a number (s64).
_S64 = (-(2**63), 2**63 - 1)


def _level(levelno: int) -> "_wit.Level":
    if levelno < logging.DEBUG:
        return _wit.Level.TRACE
    if levelno < logging.INFO:
        return _wit.Level.DEBUG
    if levelno < logging.WARNING:
        return _wit.Level.INFO
    if levelno < logging.ERROR:
        return _wit.Level.WARN
    return _wit.Level.ERROR


def _value(value: object) -> "_wit.Value":
    if isinstance(value, bool):
        return _wit.Value_Boolean(value)
    if isinstance(value, int) and _S64[0] <= value <= _S64[1]:
        return _wit.Value_Integer(value)
    if isinstance(value, float):
        return _wit.Value_Real(value)
    return _wit.Value_Text(str(value))


class HostHandler(logging.Handler):
    """A logging handler that writes records to the parigot host."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
            if record.exc_info:
                message = f"{message}\n{logging.Formatter().formatException(record.exc_info)}"
            fields = [
                _wit.Field(key=key, value=_value(value))
                for key, value in vars(record).items()
                if key not in _STANDARD
            ]
            if record.name != "root":
                fields.insert(0, _wit.Field(key="logger", value=_wit.Value_Text(record.name)))
            _wit.log(_level(record.levelno), message, fields)
        except Exception:  # a log line must never take the service down
            self.handleError(record)


def install(level: int = logging.DEBUG) -> None:
    """Sends the root logger's records (from ``level`` up) to the host; idempotent."""
    root = logging.getLogger()
    if not any(isinstance(handler, HostHandler) for handler in root.handlers):
        root.addHandler(HostHandler())
    root.setLevel(level)


def enabled(level: "_wit.Level") -> bool:
    """Whether the host keeps lines at ``level`` for this service."""
    return _wit.enabled(level)
