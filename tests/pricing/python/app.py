"""Tests of the pricing service in Python, run by parigot-host test: plain functions with
plain asserts, each run in fresh instances."""

from componentize_py_types import Err
from parigot import testing
from wit_world.imports import pricing


def order(*lines, coupon=None):
    return pricing.Order(customer="ada", currency=pricing.Currency.USD, lines=list(lines), coupon=coupon,
                         extras=pricing.Extras(0))


def tea(quantity):
    return pricing.Line(sku="tea", quantity=quantity, unit_cents=250)


def test_lines_add_up():
    cake = pricing.Line(sku="cake", quantity=1, unit_cents=400)
    assert pricing.quote(order(tea(3), cake)).total_cents == 1150


def test_half_coupon_halves():
    assert pricing.quote(order(tea(4), coupon="HALF")).total_cents == 500


def test_empty_order_is_refused():
    try:
        pricing.quote(order())
    except Err as refused:
        assert isinstance(refused.value, pricing.QuoteError_EmptyOrder)
    else:
        raise AssertionError("an empty order was priced")


def test_initial():
    assert pricing.initial("Zoë") == "Z"
    assert pricing.initial("") is None


Tests = testing.suite(globals())
