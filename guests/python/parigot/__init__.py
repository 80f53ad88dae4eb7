"""The Python SDK of parigot services.

- ``parigot.context.current()``: the per-call context of the call under way (request id, W3C
  trace context, time left, user, baggage); ``parigot.context.set_baggage(key, value)`` hands
  baggage to the calls the service makes.
- ``parigot.sqlite`` (imported on its own, by services granted a database): ``execute``,
  ``query`` and ``transaction()`` on the service's database.
- ``parigot.log.install()``: sends the standard ``logging`` module's records to the host, so
  ``logging.info("sold", extra={"item": 42})`` becomes a structured line with the service's
  name and the call's trace id.

A service using the SDK includes ``parigot:sdk/imports@0.1.0`` in its world, and is built with
this folder's parent on its Python path (``componentize-py ... -p guests/python``).
"""

# Each module needs its interface in the service's world: `context` and `log` come with
# `parigot:sdk/imports`, `sqlite` with `parigot:sqlite/sqlite` (a grant). A world without one
# simply lacks that module. componentize-py keeps only what is imported when it builds, so
# they are imported here, at the top.
try:
    from . import context, log
except ImportError:
    pass
try:
    from . import sqlite
except ImportError:
    pass
