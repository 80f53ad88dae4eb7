"""The store's tests in Python: the real store on a fresh database per test, over a mocked
catalog and inventory whose answers each test gives (typed, from their WIT) and whose calls it
checks afterwards."""

import time

from componentize_py_types import Err, Ok
from parigot import testing
from wit_world.imports import catalog, inventory, session, store
from wit_world.imports import vvv_shop_catalog as catalog_mock
from wit_world.imports import vvv_shop_inventory as inventory_mock

QUEEN = catalog.Item(id=1, media=catalog.Media.CASSETTE, content=catalog.Content.MUSIC, creator="The Smiths",
                     title="The Queen Is Dead", year=1986, price_cents=899)
RUMOURS = catalog.Item(id=7, media=catalog.Media.VINYL, content=catalog.Content.MUSIC, creator="Fleetwood Mac",
                       title="Rumours", year=1977, price_cents=2500)
STAR_WARS = catalog.Item(id=2, media=catalog.Media.LASERDISC, content=catalog.Content.MOVIE, creator="George Lucas",
                         title="Star Wars", year=1977, price_cents=4500)
MASH = catalog.Item(id=3, media=catalog.Media.VHS, content=catalog.Content.TV, creator="Larry Gelbart",
                    title="M*A*S*H: Goodbye, Farewell and Amen", year=1983, price_cents=1200)


def stock(*items):
    """The mocked catalog knows `items`, and the mocked inventory lets each of them go."""
    for item in items:
        catalog_mock.when_get_with(item.id, item)
        inventory_mock.when_reserve_with(item.id, 1, Ok(None))


def refusal(call, *args):
    """What `call(*args)` raised as its error (the test fails if it returned)."""
    try:
        answer = call(*args)
    except Err as refused:
        return refused.value
    raise AssertionError(f"{call.__name__}{args} answered {answer!r}")


def test_selling_needs_a_login():
    assert refusal(store.sell, 1) == store.SaleError_LoginRequired()
    assert catalog_mock.get_calls() == [], "nothing is looked up for a caller who did not log in"


def test_a_sale_records_the_customer_the_item_and_the_time():
    session.log_in_as("ada")
    stock(QUEEN)
    sale = store.sell(QUEEN.id)
    assert (sale.id, sale.item, sale.customer) == (1, QUEEN, "ada")
    assert sale.sold_at_ms > 0
    assert [(call.item, call.count) for call in inventory_mock.reserve_calls()] == [(QUEEN.id, 1)]


def test_an_item_the_catalog_lacks_is_not_reserved():
    session.log_in_as("ada")
    catalog_mock.when_get(None)
    assert refusal(store.sell, 99) == store.SaleError_UnknownItem(99)
    assert inventory_mock.reserve_calls() == []


def test_a_sold_out_item_is_not_sold():
    session.log_in_as("ada")
    catalog_mock.when_get_with(QUEEN.id, QUEEN)
    inventory_mock.when_reserve(Err(inventory.StockError_OutOfStock(0)))
    assert refusal(store.sell, QUEEN.id) == store.SaleError_SoldOut(QUEEN.id)
    assert store.best_sellers() == []


def test_revenue_adds_up_the_sales_of_the_period():
    session.log_in_as("ada")
    stock(QUEEN, STAR_WARS)
    sold = [store.sell(QUEEN.id), store.sell(STAR_WARS.id)]
    when = time.gmtime(sold[0].sold_at_ms // 1000)
    day = store.Date(year=when.tm_year, month=when.tm_mon, day=when.tm_mday)
    assert store.revenue(store.Period_Day(day)) == 899 + 4500
    assert store.revenue(store.Period_Month(store.YearMonth(year=when.tm_year, month=when.tm_mon))) == 899 + 4500
    assert store.revenue(store.Period_Year(when.tm_year)) == 899 + 4500
    assert store.revenue(store.Period_Year(when.tm_year + 1)) == 0
    no_such_month = store.Period_Month(store.YearMonth(year=2026, month=13))
    assert refusal(store.revenue, no_such_month) == store.PeriodError_NoSuchDate("2026-13")


def test_best_sellers_pick_the_most_sold_item_of_each_content_type():
    session.log_in_as("ada")
    stock(QUEEN, RUMOURS, STAR_WARS)
    for item in [RUMOURS, QUEEN, RUMOURS, STAR_WARS]:
        store.sell(item.id)
    assert store.best_sellers() == [
        store.BestSeller(content=catalog.Content.MUSIC, item=RUMOURS, sold=2),
        store.BestSeller(content=catalog.Content.MOVIE, item=STAR_WARS, sold=1),
    ]


def test_media_in_stock_follow_the_shelves():
    inventory_mock.when_in_stock([inventory.Shelf(item=MASH.id, on_hand=1), inventory.Shelf(item=QUEEN.id, on_hand=2)])
    catalog_mock.when_get_with(MASH.id, MASH)
    catalog_mock.when_get_with(QUEEN.id, QUEEN)
    assert store.media_in_stock() == [catalog.Media.CASSETTE, catalog.Media.VHS]


Tests = testing.suite(globals())
