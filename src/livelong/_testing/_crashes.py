"""Collecting the crash reports of a node while a test or an exploration runs."""

from __future__ import annotations

import itertools
import traceback
from typing import Any

from .. import telemetry

CRASH = ("livelong", "process", "crash")
_ids = itertools.count()


class Crashes:
    """A context manager that records every process crash (the telemetry event
    ``("livelong", "process", "crash")``) while it is open."""

    def __init__(self) -> None:
        self.reports: list[tuple[Any, BaseException]] = []
        self._id = ("livelong.testing", next(_ids))

    def __enter__(self) -> Crashes:
        telemetry.attach(self._id, CRASH, self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        telemetry.detach(self._id)

    def _record(self, event: Any, measurements: Any, metadata: Any, config: Any) -> None:
        self.reports.append((metadata["pid"], metadata["reason"]))

    def others_than(self, pid: Any) -> list[tuple[Any, BaseException]]:
        """The crashes of processes other than ``pid`` (the test's own process, whose
        exception the test reports itself)."""
        return [(p, e) for p, e in self.reports if p != pid]


def describe(crashes: list[tuple[Any, BaseException]]) -> str:
    """The crash reports as text: each pid and its exception with its traceback."""
    parts = []
    for pid, e in crashes:
        tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
        parts.append(f"process {pid!r} crashed:\n{tb}")
    return "\n".join(parts)
