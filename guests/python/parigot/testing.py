"""Tests that ``parigot-host test`` runs, in Python: module-level functions named ``test_*``
that check with plain ``assert``; a failed comparison shows both values.

    from parigot import testing
    from wit_world.imports import pricing

    def test_half_coupon_halves():
        assert pricing.quote(order(tea(4), coupon="HALF")).total_cents == 500

    Tests = testing.suite(globals())   # last: the class the component exports

Import this module only in a test component (its world includes
``parigot:test/test-component@0.1.0``). To show the values of a failed ``assert a == b``, the
two sides are evaluated again after the failure: keep them free of side effects that matter.
"""

import ast
import inspect
import textwrap
from typing import Any, Callable, Dict, List, Optional

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports.tests import Failure


class _Assert:
    """An ``assert`` of a test, prepared while the component is built (the parser and
    ``ast.unparse`` are not there at run time)."""

    def __init__(self, node: ast.Assert):
        self.first, self.last = node.lineno, node.end_lineno or node.lineno
        self.text = ast.unparse(node.test)
        # `a == b` shows both sides; another comparison, the left one (what was found).
        self.actual = self.expected = None
        if isinstance(node.test, ast.Compare) and len(node.test.comparators) == 1:
            self.actual = compile(ast.Expression(node.test.left), "<assert>", "eval")
            if isinstance(node.test.ops[0], ast.Eq):
                self.expected = compile(ast.Expression(node.test.comparators[0]), "<assert>", "eval")


def suite(namespace: Dict[str, Any]) -> type:
    """The ``Tests`` class of a test component: every function of ``namespace`` named
    ``test_*``, in the order they are defined."""
    tests = {name: value for name, value in namespace.items() if name.startswith("test_") and callable(value)}
    asserts = {name: _asserts(test) for name, test in tests.items()}

    class Tests(exports.Tests):
        def names(self):
            return list(tests)

        def run(self, name: str) -> None:
            test = tests.get(name)
            if test is None:
                raise Err(Failure(message=f"no test {name}", expected=None, actual=None, location=None))
            try:
                test()
            except AssertionError as error:
                raise Err(_failure(error, test, asserts[name])) from None
            except Exception as error:
                _, line = _test_frame(error, test)
                message = f"raised {type(error).__name__}: {error}"
                raise Err(Failure(message=message, expected=None, actual=None, location=_location(test, line))) from None

    return Tests


def _asserts(test: Callable) -> List[_Assert]:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(test)))
    except (OSError, TypeError, SyntaxError):
        return []
    ast.increment_lineno(tree, test.__code__.co_firstlineno - 1)
    return [_Assert(node) for node in ast.walk(tree) if isinstance(node, ast.Assert)]


def _test_frame(error: BaseException, test: Callable):
    """The frame of ``test`` where ``error`` passed through, and its line."""
    frame, line = None, None
    traceback = error.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_code is test.__code__:
            frame, line = traceback.tb_frame, traceback.tb_lineno
        traceback = traceback.tb_next
    return frame, line


def _location(test: Callable, line: Optional[int]) -> Optional[str]:
    # componentize-py files a module as `/N/app.py`: show `app.py`.
    parts = test.__code__.co_filename.split("/")
    file = "/".join(parts[2:]) if len(parts) > 2 and parts[1].isdigit() else test.__code__.co_filename
    return f"{file}:{line}" if line else None


def _failure(error: AssertionError, test: Callable, asserts: List[_Assert]) -> Failure:
    """What a failed ``assert`` in ``test`` says: the assertion, and for a comparison both
    sides, evaluated again in the failing frame."""
    frame, line = _test_frame(error, test)
    detail = f": {error}" if str(error) else ""
    found = next((a for a in asserts if line is not None and a.first <= line <= a.last), None)
    if found is None:
        return Failure(message=f"assertion failed{detail}", expected=None, actual=None, location=_location(test, line))
    actual = _evaluate(found.actual, frame) if found.actual and frame else None
    expected = _evaluate(found.expected, frame) if found.expected and frame else None
    return Failure(message=f"assert {found.text}{detail}", expected=expected, actual=actual, location=_location(test, line))


def _evaluate(code, frame) -> Optional[str]:
    try:
        return repr(eval(code, frame.f_globals, frame.f_locals))
    except Exception as error:  # the value is for the report only
        return f"<cannot evaluate: {error}>"
