"""The decorator of the hello example (world `decorator-service`): dresses a greeting up and
has the JavaScript quoter quote it (which has the Rust signer sign it).

Built with componentize-py, which runs this module's top level at build time: keep it free of
side effects that should happen at run time.
"""

import logging

import parigot
from wit_world import exports
from wit_world.imports import quoter
from wit_world.imports.types import Stamped

parigot.log.install()

# The decorator's entry in a trail.
HOP = "decorator (python)"

# The most exclamation marks a greeting gets, however excited the caller is.
MAX_EXCITEMENT = 5


def dress_up(text: str, excitement: int) -> str:
    """Adds up to MAX_EXCITEMENT exclamation marks and frames the text with tildes."""
    marks = "!" * min(excitement, MAX_EXCITEMENT)
    return f"~ {text}{marks} ~"


class Decorator(exports.Decorator):
    """The exported `decorator` interface."""

    def decorate(self, text: str, excitement: int) -> Stamped:
        ctx = parigot.context.current()
        logging.info(
            "decorating",
            extra={"excitement": excitement, "greeted": ctx.baggage_value("greeted") or "",
                   "span": ctx.span_id, "parent": ctx.parent_span_id or ""},
        )
        signed = quoter.quote(dress_up(text, excitement))
        return Stamped(text=signed.text, trail=[HOP, *signed.trail])
