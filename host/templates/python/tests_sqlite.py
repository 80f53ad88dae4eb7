"""The tests of the `{{service}}` service, run by `parigot-host test`: every function named
`test_*`, each against fresh instances of the wos's services and a fresh database."""

from parigot import testing
from wit_world.imports import {{service_snake}}


def test_counts_each_visit():
    assert {{service_snake}}.hello("ada") == "Hello, ada! (visit 1)"
    assert {{service_snake}}.hello("ada") == "Hello, ada! (visit 2)"
    assert {{service_snake}}.hello("grace") == "Hello, grace! (visit 1)"


Tests = testing.suite(globals())  # last: the class the component exports
