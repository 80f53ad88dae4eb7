"""The store of Vinny's Vintage Vinyl (Python): sells items to logged-in customers, over the
catalog (Rust) and the inventory (Go), and reports on its sales, kept in its own SQLite database
through the typed queries of db/queries.sql (``wit_world.imports.queries``)."""

import calendar
import time
from typing import List

from componentize_py_types import Err
from parigot import context
from wit_world import exports
from wit_world.imports import catalog, inventory, queries
from wit_world.exports import store

# The content types and media in the WIT enums' order, with their names in the database.
CONTENT_NAMES = {catalog.Content.MUSIC: "music", catalog.Content.MOVIE: "movie", catalog.Content.TV: "tv"}
CONTENT_OF_NAME = {name: content for content, name in CONTENT_NAMES.items()}


def period_bounds(period: store.Period) -> tuple:
    """The period as [from, to) in milliseconds since the epoch (UTC); ``Err`` for a date that
    does not exist."""
    if isinstance(period, store.Period_Day):
        year, month, day = period.value.year, period.value.month, period.value.day
        if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
            raise Err(store.PeriodError_NoSuchDate(f"{year:04}-{month:02}-{day:02}"))
        start = calendar.timegm((year, month, day, 0, 0, 0))
        return start * 1000, (start + 86_400) * 1000
    if isinstance(period, store.Period_Month):
        year, month = period.value.year, period.value.month
        if not 1 <= month <= 12:
            raise Err(store.PeriodError_NoSuchDate(f"{year:04}-{month:02}"))
        start = calendar.timegm((year, month, 1, 0, 0, 0))
        return start * 1000, (start + calendar.monthrange(year, month)[1] * 86_400) * 1000
    year = period.value
    return calendar.timegm((year, 1, 1, 0, 0, 0)) * 1000, calendar.timegm((year + 1, 1, 1, 0, 0, 0)) * 1000


class Store(exports.Store):
    def sell(self, item: int) -> store.Sale:
        customer = context.require_user()
        if customer is None:
            raise Err(store.SaleError_LoginRequired())
        found = catalog.get(item)
        if found is None:
            raise Err(store.SaleError_UnknownItem(item))
        try:
            inventory.reserve(item, 1)
        except Err:
            raise Err(store.SaleError_SoldOut(item)) from None
        sold_at_ms = time.time_ns() // 1_000_000
        try:
            id = queries.record_sale(item, CONTENT_NAMES[found.content], found.price_cents, customer, sold_at_ms)
        except Err:
            # The sale did not go through: the record goes back on the shelf.
            inventory.release(item, 1)
            raise
        return store.Sale(id=id, item=found, customer=customer, sold_at_ms=sold_at_ms)

    def revenue(self, period: store.Period) -> int:
        start, end = period_bounds(period)
        return queries.revenue(start, end) or 0

    def best_sellers(self) -> List[store.BestSeller]:
        best = {}
        for row in queries.sales_per_item():
            # Most sold first within each content type.
            best.setdefault(row.content, row)
        sellers = []
        for content in CONTENT_NAMES:
            row = best.get(CONTENT_NAMES[content])
            item = row and catalog.get(row.item)
            if item is not None:
                sellers.append(store.BestSeller(content=content, item=item, sold=row.sold))
        return sellers

    def media_in_stock(self) -> List[catalog.Media]:
        media = set()
        for shelf in inventory.in_stock():
            item = catalog.get(shelf.item)
            if item is not None:
                media.add(item.media)
        return sorted(media, key=lambda m: m.value)
