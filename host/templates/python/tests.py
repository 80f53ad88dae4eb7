"""The tests of the `{{service}}` service, run by `parigot-host test`: every function named
`test_*`, each against fresh instances of the wos's services."""

from parigot import testing
from wit_world.imports import {{service_snake}}


def test_says_hello():
    assert {{service_snake}}.hello("ada") == "Hello, ada!"


Tests = testing.suite(globals())  # last: the class the component exports
