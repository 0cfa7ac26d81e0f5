"""Shared test set-up: the kernel checks every process status change against its
table (``livelong._core._process``) while the suite runs."""

from __future__ import annotations

import os

os.environ.setdefault("LIVELONG_CHECK_TRANSITIONS", "1")

import pytest  # noqa: E402

from livelong._core import _process  # noqa: E402


@pytest.fixture(autouse=True)
def _status_changes_follow_the_table():
    before = len(_process.violations)
    yield
    new = _process.violations[before:]
    assert not new, f"status changes outside the table: {new}"
