"""Documentation that runs: the ``>>>`` examples of docs/otp.md, and the public
names.  The OTP modules' docstring examples run in tests/test_doctests.py."""

from __future__ import annotations

import doctest
import logging
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "otp.md"
OTP_NAMES = {
    "GenServer", "Reply", "NoReply", "Stop", "Ok", "Ignore", "CallContext", "ChildSpec",
    "ChildInfo", "Supervisor", "SupervisorError", "DynamicSupervisor", "Task", "Agent",
    "Registry", "AlreadyRegistered", "pg", "Request", "timer", "TRef", "GenStateMachine",
    "NextState", "KeepState", "KeepStateAndData",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _quiet():
    logging.disable(logging.ERROR)
    yield
    logging.disable(logging.NOTSET)


def test_the_guide_runs():
    result = doctest.testfile(str(DOCS), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 20 and result.failed == 0


def test_otp_names_are_public_once():
    import livelong.otp

    assert OTP_NAMES == set(livelong.otp.__all__)
    assert OTP_NAMES <= set(livelong.__all__)
    assert len(livelong.__all__) == len(set(livelong.__all__))
    for name in OTP_NAMES:
        assert getattr(livelong, name) is getattr(livelong.otp, name)
