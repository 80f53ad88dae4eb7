"""The `{{service}}` program: `parigot-host run` runs it once the services have started. It
greets every name the wos gives it in `args` (`[services.{{service}}] args`)."""

import logging
import sys

import parigot
from wit_world import exports

parigot.log.install()  # `logging` goes to the host's log


class Run(exports.Run):
    """The exported `wasi:cli/run`."""

    def run(self) -> None:
        names = sys.argv[1:]
        logging.info("greeting", extra={"names": len(names)})
        for name in names:
            print(f"Hello, {name}!")
