"""Documentation that runs: the ``>>>`` examples of docs/otp.md and of every OTP
module's docstrings, and the public names."""

from __future__ import annotations

import doctest
import importlib
import logging
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "otp.md"
MODULES = [
    "livelong.otp",
    "livelong.otp._gen_server",
    "livelong.otp._supervisor",
    "livelong.otp._dynamic_supervisor",
    "livelong.otp._task",
    "livelong.otp._agent",
    "livelong.otp._registry",
    "livelong.otp._pg",
    "livelong.otp._child_spec",
    "livelong.otp._application",
]
OTP_NAMES = {
    "GenServer", "Reply", "NoReply", "Stop", "Ok", "Ignore", "CallContext", "ChildSpec",
    "ChildInfo", "Supervisor", "SupervisorError", "DynamicSupervisor", "Task", "Agent",
    "Registry", "AlreadyRegistered", "pg",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _quiet():
    logging.disable(logging.ERROR)
    yield
    logging.disable(logging.NOTSET)


def test_the_guide_runs():
    result = doctest.testfile(str(DOCS), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 20 and result.failed == 0


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_otp_names_are_public_once():
    import livelong.otp

    assert OTP_NAMES == set(livelong.otp.__all__)
    assert OTP_NAMES <= set(livelong.__all__)
    assert len(livelong.__all__) == len(set(livelong.__all__))
    for name in OTP_NAMES:
        assert getattr(livelong, name) is getattr(livelong.otp, name)
