"""Tests of the diamond's top service in Python: left is real, right a mock whose answers
each test queues."""

from parigot import testing
from wit_world.imports import mocks, top

RIGHT = "parigot:testing/right"


def test_both_adds_the_real_left_and_the_mocked_right():
    mocks.answer(RIGHT, "via-right", "40")
    assert top.both() == 41
    assert mocks.calls(RIGHT, "via-right") == ["()"]


def test_every_test_starts_clean():
    assert mocks.calls(RIGHT, "via-right") == []


Tests = testing.suite(globals())
