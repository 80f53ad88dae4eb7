"""Simulation tests of Vinny's store, in Python, against the real catalog, inventory and store:
a customer buys seeded choices of records while the inventory and the catalog fail now and
then (``[sim]`` in the wos), and after every attempt the store's invariants must hold:

- it never sells what is out of stock;
- a failed sale leaves the stock as it was;
- the revenue is the sum of the sales that went through.

``parigot-host test examples/vvv/tests/sim/wos.toml --sim`` runs it a hundred times, each run
from its own seed (the seed of ``random`` too); without ``--sim`` it runs once, without faults.
"""

import random

from componentize_py_types import Err
from parigot import sim, testing
from wit_world.imports import inventory, session, store

# Items of the catalog's seed: some in stock (8 and 9 have one copy), E.T. (28) sold out, and
# 999, which the catalog lacks.
ITEMS = [1, 2, 8, 9, 28, 999]
# The virtual clock of a test starts on 2000-01-01.
YEAR_2000 = store.Period_Year(2000)


def shelves():
    return {item: inventory.on_hand(item) for item in ITEMS}


def test_sales_keep_the_books_and_the_shelves_straight():
    session.log_in_as("ada")
    expected_shelves = shelves()
    takings = 0
    for attempt in range(30):
        item = random.choice(ITEMS)
        before = inventory.on_hand(item)
        try:
            sale = sim.attempt(lambda: store.sell(item))
        except (sim.CallFailed, Err):
            assert inventory.on_hand(item) == before, f"a failed sale of {item} changed its stock"
        else:
            assert before > 0, f"sold {item}, which was out of stock"
            expected_shelves[item] -= 1
            takings += sale.item.price_cents
        faults = [f"{fault.kind} at {fault.at}" for fault in sim.injected()]
        assert shelves() == expected_shelves, f"after attempt {attempt}, with faults {faults}"
        assert store.revenue(YEAR_2000) == takings, (
            f"after attempt {attempt}, the revenue is not the sum of the sales that went through "
            f"(faults: {faults})"
        )


Tests = testing.suite(globals())
