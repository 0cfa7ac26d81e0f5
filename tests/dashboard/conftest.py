"""Fixtures of the dashboard's tests: a node on a thread of its own, a dashboard in it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("aiohttp")  # the dashboard extra (installed by scripts/test)

from dash_harness import start_dashboard  # noqa: E402

import livelong  # noqa: E402
from livelong import dashboard  # noqa: E402


@pytest.fixture
def node() -> Iterator[livelong.Node]:
    n = livelong.start()
    yield n
    n.stop()


@pytest.fixture
def dash(node: livelong.Node) -> Iterator[dashboard.Dashboard]:
    d = start_dashboard(node)
    yield d
    node.call(d.stop)
