"""Elixir's ``Process`` module: information about and control of processes."""

from __future__ import annotations

import asyncio
from typing import Any

from ._args import seconds_arg
from ._exits import send_exit
from ._ids import Pid
from ._introspection import process_info
from ._links import alias, demonitor, link, monitor, unalias, unlink
from ._mfa import internal
from ._names import register, registered, unregister, whereis
from ._process import EXITED, EXITING
from ._scheduler import current_node, current_proc, proc_of
from ._timers import cancel_timer, read_timer, send_after

internal(__file__)

__all__ = ["Process"]


class Process:
    """Elixir's ``Process`` module: information about and control of processes."""

    @staticmethod
    def alive(pid: Pid) -> bool:
        """True while ``pid`` is a live local process.  Safe from any thread."""
        if not isinstance(pid, Pid):
            raise TypeError(f"Process.alive: expected a Pid, got {pid!r}")
        proc = proc_of(pid)
        return proc is not None and proc.status is not EXITED and proc.status is not EXITING

    @staticmethod
    def info(pid: Pid, key: str | None = None) -> Any:
        """A snapshot dict of the process (None once it is dead); with ``key``, one
        item of it.  Safe from any thread, even while the scheduler is busy."""
        if not isinstance(pid, Pid):
            raise TypeError(f"Process.info: expected a Pid, got {pid!r}")
        proc = proc_of(pid)
        if proc is None or proc.status is EXITED:
            return None
        info = process_info(proc)
        if key is not None:
            if key not in info:
                raise KeyError(f"Process.info: unknown item {key!r}; known: {sorted(info)}")
            return info[key]
        return info

    @staticmethod
    def list() -> list[Pid]:
        """The pids of every live process of this node."""
        return list(current_node().procs.values())

    @staticmethod
    def flag(flag: str, value: Any) -> Any:
        """Set a process flag of the caller; returns the old value.  Supported:
        ``"trap_exit"``."""
        me = current_proc("Process.flag()")
        if flag == "trap_exit":
            if type(value) is not bool:
                raise TypeError(f"Process.flag: trap_exit takes True or False, got {value!r}")
            old = me.trap_exit
            me.trap_exit = value
            return old
        raise ValueError(f"Process.flag: unknown flag {flag!r} (supported: 'trap_exit')")

    @staticmethod
    async def sleep(seconds: float) -> None:
        """Suspend the caller for ``seconds`` (messages wait in the mailbox)."""
        seconds = seconds_arg(seconds, "Process.sleep: seconds")
        if seconds == float("inf"):
            await asyncio.get_running_loop().create_future()
        else:
            await asyncio.sleep(seconds)

    @staticmethod
    def exit(pid: Pid | str, reason: Any) -> bool:
        """Send the exit signal ``reason`` to ``pid``.  ``"kill"`` cannot be trapped;
        works from any thread, and stops even a process that never yields.

        From code outside every process (another thread, plain asyncio code) the
        signal comes from the node's ``outside_pid``, a pid no process has, and acts
        as one from another process: ``"normal"`` is ignored by a process that does
        not trap exits, a trapping one receives ``("EXIT", node.outside_pid,
        reason)``."""
        return send_exit(pid, reason)

    @staticmethod
    def get(key: Any = None, default: Any = None) -> Any:
        """The caller's process dictionary: ``get()`` all of it, ``get(key)`` one value."""
        me = current_proc("Process.get()")
        d = me.dictionary or {}
        if key is None:
            return dict(d)
        return d.get(key, default)

    @staticmethod
    def put(key: Any, value: Any) -> Any:
        """Store ``value`` under ``key`` in the caller's dictionary; returns the old value."""
        me = current_proc("Process.put()")
        if me.dictionary is None:
            me.dictionary = {}
        old = me.dictionary.get(key)
        me.dictionary[key] = value
        return old

    @staticmethod
    def delete(key: Any) -> Any:
        """Remove ``key`` from the caller's dictionary; returns its value."""
        me = current_proc("Process.delete()")
        return me.dictionary.pop(key, None) if me.dictionary else None

    register = staticmethod(register)
    unregister = staticmethod(unregister)
    whereis = staticmethod(whereis)
    registered = staticmethod(registered)
    link = staticmethod(link)
    unlink = staticmethod(unlink)
    monitor = staticmethod(monitor)
    demonitor = staticmethod(demonitor)
    alias = staticmethod(alias)
    unalias = staticmethod(unalias)
    send_after = staticmethod(send_after)
    cancel_timer = staticmethod(cancel_timer)
    read_timer = staticmethod(read_timer)
