"""Elixir's ``Process`` module: information about and control of processes."""

from __future__ import annotations

import asyncio
from typing import Any

from ._args import seconds_arg
from ._exits import send_exit
from ._ids import Pid
from ._introspection import ITEMS, process_info
from ._links import alias, demonitor, link, monitor, unalias, unlink
from ._mfa import internal
from ._names import register, registered, unregister, whereis
from ._process import EXITED, EXITING, NOT_EXITING
from ._scheduler import current_node, current_proc, proc_of
from ._timers import cancel_timer, read_timer, send_after

internal(__file__)

__all__ = ["Process"]


class Process:
    """Elixir's ``Process`` module: information about and control of processes."""

    @staticmethod
    def alive(pid: Pid) -> bool:
        """True while ``pid`` is a live local process.  Safe from any thread.

        As Erlang's ``is_process_alive``, a process that is exiting is no longer
        alive: one an exit signal has ended, even while its cleanup still runs."""
        if not isinstance(pid, Pid):
            raise TypeError(f"Process.alive: expected a Pid, got {pid!r}")
        proc = proc_of(pid)
        return (
            proc is not None
            and proc.exit_reason is NOT_EXITING
            and proc.status is not EXITING
            and proc.status is not EXITED
        )

    @staticmethod
    def info(pid: Pid, key: str | None = None) -> Any:
        """A snapshot of the process as a dict of plain data, None once it has exited;
        with ``key``, only that item, computed alone.  Safe from any thread, even while
        the node's thread is busy changing the process.

        ==================  ============================================================
        item                what it is (cost)
        ==================  ============================================================
        pid                 the pid itself (O(1))
        status              see below (O(1))
        current_function    ``(module, name, arity)`` of where it is now (O(depth of
                            its await chain))
        initial_call        ``(module, name, arity)`` it was spawned with (O(1))
        message_queue_len   messages in its mailbox (O(1))
        messages            its mailbox, oldest first (O(messages): expensive)
        links               linked pids, sorted (O(links))
        monitors            ``("process", pid)`` for each monitor it holds (O(monitors))
        monitored_by        the pids that monitor it, oldest first (O(monitors))
        trap_exit           its ``trap_exit`` flag (O(1))
        registered_name     its name, or None (O(1))
        reductions          work done so far, in reductions (O(1))
        memory              an estimate in bytes of what it holds, its messages
                            included (O(messages + dictionary): expensive)
        dictionary          a copy of its process dictionary (O(keys))
        ==================  ============================================================

        ``status`` is one of (the kernel's own statuses, ``_core._process``, mapped):

        ============  ==================================================================
        ``running``   running now (RUNNING), or busy: back in the run queue after
                      spending its budget or yielding (PREEMPTED)
        ``runnable``  queued to run: new, or woken by a message, a timeout or a signal
                      (RUNNABLE)
        ``waiting``   in ``receive`` (WAITING), in a selective receive no message
                      matches (WAITING_MATCH), or awaiting an asyncio future (SUSPENDED)
        ``exiting``   an exit signal has ended it and its cleanup (``finally`` blocks,
                      ``async with`` exits) still runs, or its coroutine is being
                      closed (EXITING)
        ============  ==================================================================

        An unknown ``key`` is a :class:`KeyError` that lists the known ones.
        """
        if not isinstance(pid, Pid):
            raise TypeError(f"Process.info: expected a Pid, got {pid!r}")
        item = None
        if key is not None:
            if not isinstance(key, str):
                raise TypeError(f"Process.info: the item must be a str, got {key!r}")
            item = ITEMS.get(key)
            if item is None:
                raise KeyError(f"Process.info: unknown item {key!r}; known: {sorted(ITEMS)}")
        proc = proc_of(pid)
        if proc is None:
            return None
        result = process_info(proc) if item is None else item(proc)
        if proc.status is EXITED:  # it exited meanwhile: what was read may be half gone
            return None
        return result

    @staticmethod
    def list() -> list[Pid]:
        """The pids of every process of this node that has not exited (those
        exiting included, as Erlang's ``processes()``).  Safe from any thread."""
        return list(current_node().procs.values())  # (a C-level copy)

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
