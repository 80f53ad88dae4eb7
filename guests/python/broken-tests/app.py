"""A Python test component whose tests fail on purpose, for the tests of parigot-host test: a
failed comparison, a failed plain assert with a message, an exception; and one that passes."""

from parigot import testing
from wit_world.imports import pricing


def test_passes():
    assert pricing.initial("Vinny") == "V"


def test_compares_wrongly():
    print("about to compare")
    initial = pricing.initial("Vinny")
    assert initial == "W"


def test_asserts_with_a_message():
    assert pricing.initial("") is not None, "an empty name has no initial"


def test_raises():
    raise KeyError("no such record")


Tests = testing.suite(globals())
