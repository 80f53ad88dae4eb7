"""Benchmark callee in Python (world `echo-service`): as little work as the interface allows."""

from wit_world import exports
from wit_world.exports.echo import Point


class Echo(exports.Echo):
    """The exported `echo` interface."""

    def describe(self, p: Point) -> str:
        return f"{p.label} ({p.x}, {p.y})"

    def echo_text(self, text: str) -> str:
        return text
