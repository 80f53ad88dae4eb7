"""Tests under a simulation's faults (``parigot-host test --sim``): ``attempt`` runs an
operation whose calls to services may fail, and raises ``CallFailed`` with the failure instead
of failing the test; ``injected`` tells which faults the host injected so far.

    from parigot import sim

    before = inventory.on_hand(7)
    try:
        sale = sim.attempt(lambda: store.sell(7))
    except sim.CallFailed as failed:
        # The sale failed (a fault the simulation injected, say): stock is unchanged.
        assert inventory.on_hand(7) == before

Import this module only in a test component (its world includes
``parigot:test/test-component@0.1.0``).
"""

from typing import Callable, List, TypeVar

from wit_world.imports import sim as _wit

T = TypeVar("T")

Fault = _wit.Fault
"""A fault the simulation injected: ``step``, ``kind`` (``call-trap``...), ``service``, ``at``
and ``trace``."""


class CallFailed(Exception):
    """An operation's call to a service failed: ``service`` and ``function`` where the failure
    began, its ``kind`` (``trap``, ``deadline``, ``unavailable``...) and the host's ``message``."""

    def __init__(self, failure: _wit.CallFailure):
        super().__init__(failure.message)
        self.service = failure.service
        self.function = failure.function
        self.kind = failure.kind
        self.message = failure.message


def attempt(operation: Callable[[], T]) -> T:
    """Runs ``operation`` and returns its value; when one of the calls it makes to a service
    fails (a trap, a deadline, a fault the simulation injected...), raises ``CallFailed``
    instead of failing the test. The calls ``operation`` makes after that one are not made (they
    answer placeholders, which ``attempt`` drops). An exception ``operation`` raises itself
    passes through, after the catch is closed."""
    _wit.catch_failures()
    try:
        value = operation()
    finally:
        failure = _wit.caught()
    if failure is not None:
        raise CallFailed(failure)
    return value


def injected() -> List[Fault]:
    """The faults the simulation injected so far in this run, oldest first; none outside
    ``--sim``."""
    return _wit.injected()
