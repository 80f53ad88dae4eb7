"""The `{{service}}` service: implements `{{package}}/{{service}}` (wit/{{service}}.wit).

componentize-py runs this module's top level when it builds the component: keep it free of
what should happen when the service runs.
"""

import logging

import parigot
from wit_world import exports

parigot.log.install()  # `logging` goes to the host's log


class {{Service}}(exports.{{Service}}):
    """The exported `{{service}}` interface."""

    def hello(self, name: str) -> str:
        logging.info("saying hello", extra={"greeted": name})
        return f"Hello, {name}!"
