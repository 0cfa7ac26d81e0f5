"""Registered names: ``register``, ``unregister``, ``whereis``, ``registered``."""

from __future__ import annotations

from typing import Any

from ._ids import Pid
from ._mfa import internal
from ._scheduler import current_node, current_proc, proc_of

internal(__file__)

__all__ = ["register", "unregister", "whereis", "registered", "resolve"]


def resolve(dest: Any, what: str) -> Pid | None:
    """A pid, or the pid registered as the name ``dest`` (None if none is); a clear
    error naming ``what`` for anything else."""
    if isinstance(dest, Pid):
        return dest
    if isinstance(dest, str):
        return current_node().names.get(dest)
    raise TypeError(f"{what}: expected a Pid or a registered name (str), got {dest!r}")


def register(name: str, pid: Pid | None = None) -> bool:
    """Register ``pid`` (default: the caller) under ``name``."""
    node = current_node()
    if pid is None:
        pid = current_proc("register() without a pid")
    if not isinstance(name, str):
        raise TypeError(f"register: a name must be a str, got {name!r}")
    if name in ("undefined",):
        raise ValueError(f"register: {name!r} is reserved")
    if not isinstance(pid, Pid):
        raise TypeError(f"register: expected a Pid, got {pid!r}")
    proc = proc_of(pid)
    if proc is None:
        raise ValueError(f"register: {pid!r} is not alive")
    if name in node.names:
        raise ValueError(f"register: {name!r} is already registered to {node.names[name]!r}")
    if proc.name is not None:
        raise ValueError(f"register: {pid!r} is already registered as {proc.name!r}")
    node.names[name] = proc
    proc.name = name
    return True


def unregister(name: str) -> bool:
    """Remove the registered ``name``."""
    node = current_node()
    proc = node.names.pop(name, None)
    if proc is None:
        raise ValueError(f"unregister: {name!r} is not registered")
    proc.name = None
    return True


def whereis(name: str) -> Pid | None:
    """The pid registered as ``name``, or None."""
    if not isinstance(name, str):
        raise TypeError(f"whereis: a name must be a str, got {name!r}")
    return current_node().names.get(name)


def registered() -> list[str]:
    """All registered names."""
    return sorted(current_node().names)
