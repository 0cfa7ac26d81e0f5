"""Named tables owned by a process (Registry's and pg's): shared lookups."""

from __future__ import annotations

import weakref
from typing import Any, Protocol, TypeVar

from .._core import Pid, Process, current_node


class OwnedTable(Protocol):
    owner: Pid
    node: Any


T = TypeVar("T", bound=OwnedTable)


def live_table(tables: weakref.WeakValueDictionary[str, T], name: Any) -> T | None:
    """The table registered as ``name`` if its owner process is alive on this node."""
    table = tables.get(name) if isinstance(name, str) else None
    if table is None or table.node is not current_node() or not Process.alive(table.owner):
        return None
    return table
