"""The Python SDK of parigot services.

- ``parigot.context.current()``: the per-call context of the call under way (request id, W3C
  trace context, time left, user, baggage); ``parigot.context.set_baggage(key, value)`` hands
  baggage to the calls the service makes.
- ``parigot.log.install()``: sends the standard ``logging`` module's records to the host, so
  ``logging.info("sold", extra={"item": 42})`` becomes a structured line with the service's
  name and the call's trace id.

A service using the SDK includes ``parigot:sdk/imports@0.1.0`` in its world, and is built with
this folder's parent on its Python path (``componentize-py ... -p guests/python``).
"""

from . import context, log

__all__ = ["context", "log"]
