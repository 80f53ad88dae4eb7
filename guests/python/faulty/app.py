"""Test service in Python (world `faulty`): loops, hogs memory or raises when asked to, and
tells who calls it."""

import time
from typing import Optional

from componentize_py_types import Err
from parigot import context
from wit_world import exports

# Calls of `ping` since this instance started.
pings = 0


class Faults(exports.Faults):
    """The exported `faults` interface."""

    def ping(self) -> int:
        global pings
        pings += 1
        return pings

    def spin(self) -> int:
        turns = 0
        while True:
            turns += 1

    def hog(self, mib: int) -> int:
        kept = [bytearray(b"\x01") * (1 << 20) for _ in range(mib)]
        return sum(len(chunk) for chunk in kept)

    def crash(self, message: str) -> str:
        raise RuntimeError(f"asked to crash: {message}")

    def weigh(self, data: bytes) -> int:
        return sum(data)

    def sleep(self, ms: int) -> int:
        time.sleep(ms / 1000)
        return ms

    def flood(self, lines: int) -> int:
        for n in range(lines):
            print(f"flood line {n}")
        return lines

    def recurse(self, depth: int) -> int:
        return 0 if depth == 0 else self.recurse(depth - 1) + 1

    def open_files(self, folder: str, count: int) -> int:
        kept = []
        for n in range(count):
            try:
                kept.append(open(f"{folder}/f{n}", "w"))
            except OSError:
                break
        for file in kept:
            file.close()
        return len(kept)


class Users(exports.Users):
    """The exported `users` interface: who the call runs as, through the SDK's context."""

    def whoami(self) -> Optional[str]:
        return context.current().user

    def members_only(self) -> str:
        user = context.require_user()
        if user is None:
            raise Err("this call needs a logged-in user")
        return user
