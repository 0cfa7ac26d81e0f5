"""The one doctest runner of the test suite: every ``>>>`` example in the livelong
package runs, and a module that should have examples has some.

Modules are found by walking the package, so a new module's examples run without
being named here.  Every module must also be in exactly one of the two lists below:
a module in ``WITH_EXAMPLES`` must run at least one example and fail none (so examples
that vanish, say in a move, fail the suite instead of passing with zero examples), and
a module may have no examples at all only if it is in ``WITHOUT_EXAMPLES``.

docs/otp.md's examples run in tests/otp/test_docs.py, README.md's code blocks in
tests/core/test_api.py.
"""

from __future__ import annotations

import doctest
import importlib
import io
import logging
import pkgutil
from types import ModuleType

import pytest

import livelong

OPTIONFLAGS = doctest.ELLIPSIS

WITH_EXAMPLES = {
    "livelong.__main__",
    "livelong",
    "livelong._clock",
    "livelong._core._args",
    "livelong._core._copying",
    "livelong._core._mfa",
    "livelong._core._remote",
    "livelong._core._telemetry",
    "livelong._runtime",
    "livelong._testing._explore",
    "livelong.dist._control",
    "livelong.dist._etf",
    "livelong.dist._terms",
    "livelong.dist._epmd",
    "livelong.dist._framing",
    "livelong.dist._handshake",
    "livelong.dashboard",
    "livelong.dashboard._sampler",
    "livelong.dashboard._security",
    "livelong.dashboard._source",
    "livelong.dashboard._table",
    "livelong.dashboard._trace",
    "livelong.lowlevel",
    "livelong.otp._agent",
    "livelong.otp._reports",
    "livelong.otp._request",
    "livelong.otp._child_spec",
    "livelong.otp._dynamic_supervisor",
    "livelong.otp._gen_server",
    "livelong.otp._pg",
    "livelong.otp._registry",
    "livelong.otp._returns",
    "livelong.otp._supervisor",
    "livelong.otp._task",
    "livelong.otp._timer",
    "livelong.otp._gen_statem",
    "livelong.shell._code",
    "livelong.shell._helpers",
    "livelong.telemetry",
    "livelong.testing",
}
WITHOUT_EXAMPLES = {
    "livelong._testing",
    "livelong._testing._crashes",
    "livelong.dist",
    "livelong.dist._epmd_server",
    "livelong._core",
    "livelong._core._exits",
    "livelong._core._ids",
    "livelong._core._introspection",
    "livelong._core._lifecycle",
    "livelong._core._links",
    "livelong._core._names",
    "livelong._core._node",
    "livelong._core._patterns",
    "livelong._core._process",
    "livelong._core._process_api",
    "livelong._core._reference",
    "livelong._core._scheduler",
    "livelong._core._spawn",
    "livelong._core._timeouts",
    "livelong._core._timers",
    "livelong._core._watchdog",
    "livelong._demo",
    "livelong.dist._etf_common",
    "livelong.dist._etf_encode",
    "livelong.dashboard._app",
    "livelong.dashboard._rescue",
    "livelong.otp",  # points to docs/otp.md, whose examples run in tests/otp/test_docs.py
    "livelong.otp._application",
    "livelong.otp._seconds",
    "livelong.otp._tables",
    "livelong.shell",
    "livelong.shell._prompt",
    "livelong.shell._remote",
    "livelong.shell._script",
    "livelong.shell._session",
    "livelong.shell._transcript",
}


def _raise(name: str) -> None:
    raise  # walk_packages calls this in its ``except``: re-raise the import error


def package_modules() -> list[str]:
    """The names of livelong and of every module in it (a module that fails to import
    fails the walk instead of being left out)."""
    walk = pkgutil.walk_packages(livelong.__path__, "livelong.", onerror=_raise)
    return ["livelong", *sorted(m.name for m in walk)]


MODULES = package_modules()


def run_examples(module: ModuleType) -> tuple[doctest.TestResults, str, list[str]]:
    """Run the examples of ``module``'s docstrings (not those of names it imports).
    Returns the counts, the report of the failures, and the examples marked
    ``+SKIP`` (which doctest does not count as attempted)."""
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    failed = attempted = 0
    skipped = []
    for test in doctest.DocTestFinder().find(module):
        skipped += [
            f"{test.name}: {ex.source.strip()}"
            for ex in test.examples
            if ex.options.get(doctest.SKIP)
        ]
        result = runner.run(test, out=report.write)
        failed += result.failed
        attempted += result.attempted
    return doctest.TestResults(failed, attempted), report.getvalue(), skipped


@pytest.fixture
def _quiet():
    """The examples' crashes and restarts are logged: keep them out of the way."""
    logging.disable(logging.ERROR)
    yield
    logging.disable(logging.NOTSET)


def test_every_module_is_listed_once():
    found = set(MODULES)
    assert not WITH_EXAMPLES & WITHOUT_EXAMPLES, "a module is in both lists"
    unlisted = sorted(found - WITH_EXAMPLES - WITHOUT_EXAMPLES)
    assert not unlisted, f"add to WITH_EXAMPLES or WITHOUT_EXAMPLES: {unlisted}"
    gone = sorted((WITH_EXAMPLES | WITHOUT_EXAMPLES) - found)
    assert not gone, f"listed but not in the package: {gone}"


@pytest.mark.usefixtures("_quiet")
@pytest.mark.parametrize("name", MODULES)
def test_the_examples_run(name):
    result, report, skipped = run_examples(importlib.import_module(name))
    assert not skipped, f"examples that never run (+SKIP): {skipped}"
    if name in WITHOUT_EXAMPLES:
        assert result.attempted == 0, f"{name} has examples now: list it in WITH_EXAMPLES"
        return
    assert result.failed == 0, f"{result.failed} of {name}'s examples failed:\n{report}"
    if name in WITH_EXAMPLES:
        assert result.attempted >= 1, f"{name} is in WITH_EXAMPLES but its examples are gone"
    else:
        assert result.attempted >= 1, f"{name} has no examples: list it in WITHOUT_EXAMPLES"
