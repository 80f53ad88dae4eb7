"""Tests of the diamond's top service in Python: left is real, right a mock whose answers
each test queues; the mocked pricing answers by arguments and records typed calls."""

from parigot import sim, testing
from wit_world.imports import faults, mocks, session, users, parigot_testing_pricing as pricing_mock
from wit_world.imports import parigot_testing_right as right_mock
from wit_world.imports import pricing, top
from componentize_py_types import Err, Ok

RIGHT = "parigot:testing/right"


def order(customer):
    return pricing.Order(customer, pricing.Currency.EUR, [], None, pricing.Extras(0))


def test_both_adds_the_real_left_and_the_mocked_right():
    right_mock.when_via_right(40)
    assert top.both() == 41
    assert right_mock.via_right_calls() == 1


def test_every_test_starts_clean():
    assert right_mock.via_right_calls() == 0
    assert pricing_mock.quote_calls() == []


def test_wave_answers_and_calls_steer_the_same_mock():
    mocks.answer(RIGHT, "via-right", "2")
    assert top.both() == 3
    assert mocks.calls(RIGHT, "via-right") == ["()"]
    assert right_mock.via_right_calls() == 1


def test_a_typed_mock_answers_by_arguments_then_in_order():
    quotation = pricing.Quotation(1250, pricing.Currency.EUR, ["mocked"], b"\x01\x02")
    pricing_mock.when_quote_with(order("vinny"), Err(pricing.QuoteError_UnknownCoupon("NOPE")))
    pricing_mock.when_quote(Ok(quotation))
    assert pricing.quote(order("ada")).total_cents == 1250
    for _ in range(2):
        try:
            pricing.quote(order("vinny"))
            raise AssertionError("vinny's order was priced")
        except Err as refused:
            assert refused.value == pricing.QuoteError_UnknownCoupon("NOPE")
    pricing_mock.when_initial_with("zoë", "Z")
    assert pricing.initial("zoë") == "Z"


def test_a_typed_mock_records_each_call_with_its_arguments():
    pricing_mock.when_quote(Err(pricing.QuoteError_EmptyOrder()))
    pricing_mock.when_quote(Err(pricing.QuoteError_TooLarge(7)))
    for customer in ["ada", "bob"]:
        try:
            pricing.quote(order(customer))
        except Err:
            pass
    assert [call.order.customer for call in pricing_mock.quote_calls()] == ["ada", "bob"]


def test_calls_run_as_the_user_the_test_logs_in_as():
    assert users.whoami() is None
    session.log_in_as("vinny")
    assert users.whoami() == "vinny"
    assert users.members_only() == "vinny"
    session.log_in_as(None)
    assert users.whoami() is None


def test_a_failed_call_is_caught_and_the_calls_after_it_are_not_made():
    def crash_then_both():
        faults.crash("on purpose")
        return top.both()

    try:
        sim.attempt(crash_then_both)
        raise AssertionError("the crash was not caught")
    except sim.CallFailed as failed:
        assert (failed.service, failed.function, failed.kind) == ("d", "parigot:testing/faults@0.1.0#crash", "trap")
    # both was not called: it would have asked the mocked right.
    assert right_mock.via_right_calls() == 0
    # The test goes on, and d answers again, from a fresh instance.
    assert sim.attempt(faults.ping) == 1
    assert sim.injected() == []


def test_faults_the_simulation_injects_are_caught_and_named():
    # Under --sim (the wos's [sim] traps calls into d: b's, on the way left), some of these
    # calls fail.
    for _ in range(8):
        right_mock.when_via_right(1)
        try:
            sim.attempt(top.both)
        except sim.CallFailed as failed:
            injected = sim.injected()
            assert injected, f"{failed}, with no fault injected"
            assert (injected[-1].kind, injected[-1].service) == ("call-trap", "d")
            assert (failed.kind, failed.service) == ("trap", "d")


Tests = testing.suite(globals())
