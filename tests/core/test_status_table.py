"""The process status table (livelong._core._process): the suite runs with every
status change checked against it."""

from __future__ import annotations

import pytest

import livelong
from livelong._core import _process


def test_the_suite_checks_every_transition():
    assert _process.CHECK_TRANSITIONS


def test_a_change_outside_the_table_is_caught():
    async def main():
        pid = livelong.spawn(lambda: None)
        await livelong.Process.sleep(0.01)
        assert pid.status is _process.EXITED
        before = len(_process.violations)
        with pytest.raises(_process.TransitionError, match="exited -> running"):
            pid.status = _process.RUNNING
        del _process.violations[before:]  # (made on purpose)
        return pid.status

    assert livelong.run(main) == "exited"


def test_every_status_has_a_row_and_exited_is_final():
    statuses = {
        _process.RUNNABLE, _process.RUNNING, _process.PREEMPTED, _process.WAITING,
        _process.WAITING_MATCH, _process.SUSPENDED, _process.EXITING, _process.EXITED,
    }  # fmt: skip
    assert set(_process.TRANSITIONS) == statuses
    for targets in _process.TRANSITIONS.values():
        assert targets <= statuses
    assert _process.TRANSITIONS[_process.EXITED] == frozenset()
    assert len({s for s in statuses}) == len(statuses)  # distinct values, no look-alikes
    assert all(s == s.strip() for s in statuses)
