"""The per-call context (``parigot:context/pctx``) of the call under way."""

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from wit_world.imports import pctx as _wit
from componentize_py_types import Err as _Err


@dataclass(frozen=True)
class Context:
    """What the call under way carries from its caller."""

    request_id: str
    """The request that started the chain (the edge's ``x-request-id``, or one the host made)."""
    trace_id: str
    """The W3C trace id: 32 hex digits, the same at every hop."""
    span_id: str
    """This call's W3C span id: 16 hex digits."""
    parent_span_id: Optional[str]
    """The span of the call that made this one."""
    sampled: bool
    """The W3C ``sampled`` flag."""
    time_left_ms: Optional[int]
    """How long the call may still run, in milliseconds, when it has a deadline."""
    user: Optional[str]
    """The authenticated user the chain runs as, or None when logged out."""
    baggage: List[Tuple[str, str]] = field(default_factory=list)
    """The W3C baggage, in the order its members were added."""

    @property
    def logged_in(self) -> bool:
        """Whether the chain runs as an authenticated user."""
        return self.user is not None

    def baggage_value(self, key: str) -> Optional[str]:
        """The value of baggage member ``key``, or None."""
        return next((v for k, v in self.baggage if k == key), None)


def require_user() -> Optional[str]:
    """The user the chain runs as, for a service that serves logged-in callers only. When the
    caller did not log in it returns None, and the request that started the chain is answered
    as unauthenticated (gRPC UNAUTHENTICATED, Connect 401) whatever the service returns:
    return early (``raise Err(...)`` for a function that returns a ``result``)."""
    return _wit.require_user()


class BaggageError(ValueError):
    """Baggage could not be added: an invalid key, or over W3C's limits."""


def current() -> Context:
    """The context of the call under way."""
    raw = _wit.current()
    return Context(
        request_id=raw.request_id,
        trace_id=raw.trace_id,
        span_id=raw.span_id,
        parent_span_id=raw.parent_span_id,
        sampled=raw.sampled,
        time_left_ms=raw.time_left_ms,
        user=raw.user,
        baggage=list(raw.baggage),
    )


def set_baggage(key: str, value: str) -> None:
    """Adds ``key=value`` to the baggage of the call under way, for every call the service makes
    for the rest of it. Raises BaggageError for a key that is not a W3C token, or past W3C's
    limits (180 members, 8192 bytes)."""
    try:
        _wit.set_baggage(key, value)
    except _Err as failure:
        error = failure.value
        if isinstance(error, _wit.BaggageError_InvalidKey):
            raise BaggageError(f"baggage key {error.value!r} is not a W3C token") from None
        raise BaggageError("the baggage would be over W3C's limits (180 members, 8192 bytes)") from None


def remove_baggage(key: str) -> None:
    """Removes ``key`` from the baggage of the call under way."""
    _wit.remove_baggage(key)
