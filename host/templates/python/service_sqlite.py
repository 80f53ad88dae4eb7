"""The `{{service}}` service: implements `{{package}}/{{service}}` (wit/{{service}}.wit), and
counts each name's visits in its own database, through the typed queries of db/queries.sql
(`wit_world.imports.queries`).

componentize-py runs this module's top level when it builds the component: keep it free of
what should happen when the service runs.
"""

import logging

import parigot
from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import queries

parigot.log.install()  # `logging` goes to the host's log


class {{Service}}(exports.{{Service}}):
    """The exported `{{service}}` interface."""

    def hello(self, name: str) -> str:
        try:
            queries.record_visit(name)
            visits = queries.count_visits(name) or 0
        except Err as failed:
            raise Err(f"cannot count visits: {failed.value}") from None
        logging.info("saying hello", extra={"greeted": name, "visits": visits})
        return f"Hello, {name}! (visit {visits})"
