"""Vinny's store with a bug planted, for the simulation test to catch
(``host/tests/all/sim.rs``): ``sell`` records the sale before the inventory has confirmed the
reservation. Without faults it sells as the real store (``examples/vvv/store/app.py``) does;
when the reservation call fails after the sale is recorded, the sale stays in the books
although nothing left the shelf.

It implements what the simulation test calls (``sell`` and a year's ``revenue``); its other
functions answer nothing."""

import calendar
import time
from typing import List

from componentize_py_types import Err
from parigot import context
from wit_world import exports
from wit_world.imports import catalog, inventory, queries
from wit_world.exports import store

CONTENT_NAMES = {catalog.Content.MUSIC: "music", catalog.Content.MOVIE: "movie", catalog.Content.TV: "tv"}


class Store(exports.Store):
    def sell(self, item: int) -> store.Sale:
        customer = context.require_user()
        if customer is None:
            raise Err(store.SaleError_LoginRequired())
        found = catalog.get(item)
        if found is None:
            raise Err(store.SaleError_UnknownItem(item))
        if inventory.on_hand(item) == 0:
            raise Err(store.SaleError_SoldOut(item))
        sold_at_ms = time.time_ns() // 1_000_000
        # The bug: the sale is in the books before the reservation is confirmed.
        id = queries.record_sale(item, CONTENT_NAMES[found.content], found.price_cents, customer, sold_at_ms)
        inventory.reserve(item, 1)
        return store.Sale(id=id, item=found, customer=customer, sold_at_ms=sold_at_ms)

    def revenue(self, period: store.Period) -> int:
        if not isinstance(period, store.Period_Year):
            raise Err(store.PeriodError_NoSuchDate("the planted-bug store reports on whole years only"))
        start = calendar.timegm((period.value, 1, 1, 0, 0, 0)) * 1000
        end = calendar.timegm((period.value + 1, 1, 1, 0, 0, 0)) * 1000
        return queries.revenue(start, end) or 0

    def best_sellers(self) -> List[store.BestSeller]:
        return []

    def media_in_stock(self) -> List[catalog.Media]:
        return []
