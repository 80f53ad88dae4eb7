"""Test program in Python (world `sleeper`): runs its arguments in order, like the Rust faults
driver: `ping` and `sleep:MS` call the faults service, `nap:MS` sleeps in the program itself."""

import sys
import time

from wit_world import exports
from wit_world.imports import faults


class Run(exports.Run):
    """The exported `wasi:cli/run`."""

    def run(self) -> None:
        for arg in sys.argv[1:]:
            verb, _, value = arg.partition(":")
            if verb == "ping":
                print(f"{arg} -> {faults.ping()}")
            elif verb == "sleep":
                print(f"{arg} -> {faults.sleep(int(value))}")
            elif verb == "nap":
                time.sleep(int(value) / 1000)
                print(f"{arg} -> {value}")
            else:
                print(f"unknown command `{verb}`: use ping, sleep:MS or nap:MS", file=sys.stderr)
                raise SystemExit(1)
