"""Spawning processes: ``spawn``, ``spawn_link``, ``spawn_monitor``, and ``self``."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from . import _scheduler as sched
from ._ids import Pid, Ref
from ._links import add_link
from ._mfa import internal
from ._patterns import set_marker
from ._process import Proc
from ._scheduler import current_node, current_proc

if TYPE_CHECKING:
    from ._node import Node

internal(__file__)

__all__ = ["spawn", "spawn_link", "spawn_monitor", "self", "self_pid", "make_ref"]


def spawn(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Pid:
    """Start a process running ``fn(*args, **kwargs)`` (async or plain); returns its pid
    at once."""
    if kwargs:
        fn = partial(fn, **kwargs)
    node = sched._node
    if node is None:
        node = current_node()  # raises the clear "no node" error
    proc = node.spawn_proc(fn, args)
    if sched._get_ident() == sched._loop_tid:
        cur = sched._current
        if cur is not None:
            cur.reductions += 1
        sched._runq.append(proc)
        if not node.scheduled:
            sched._kick()
    else:
        node.schedule_new(proc)
    return proc


def spawn_link(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Pid:
    """``spawn`` and link the new process to the caller, atomically."""
    if kwargs:
        fn = partial(fn, **kwargs)
    me = current_proc("spawn_link()")
    node = sched._node
    assert node is not None
    proc = node.spawn_proc(fn, args)
    add_link(me, proc)
    me.reductions += 1
    sched._runq.append(proc)  # current_proc() vouched that this is the node's thread
    if not node.scheduled:
        sched._kick()
    return proc


def spawn_monitor(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> tuple[Pid, Ref]:
    """``spawn`` and monitor the new process; returns ``(pid, ref)``."""
    if kwargs:
        fn = partial(fn, **kwargs)
    me = sched._current  # caller(), inlined
    if me is None or sched._get_ident() != sched._loop_tid:
        me = current_proc("spawn_monitor()")  # raises the clear error
    if not callable(fn):
        raise TypeError(f"spawn_monitor: expected a function to run, got {fn!r}")
    node: Node = sched._node  # type: ignore[assignment]
    # node.spawn_proc and _add_monitor, inlined: a tenth of a spawn_monitor's time
    proc = Proc(node.name, next(node.ids), node.creation, fn, args)
    node.procs[proc.id] = proc
    ref = Ref()
    mb = me.mailbox  # set_marker, inlined: a receive of this ref's replies or DOWN
    if mb:  # skips the messages already there
        at = len(mb)
        me.mark_ref2 = me.mark_ref if me.mark_at == at else None
        me.mark_at = at
    else:  # (the marker is at 0 already)
        me.mark_ref2 = me.mark_ref
    me.mark_ref = ref
    mons = me.monitors
    if mons is None:
        mons = me.monitors = {}
    mons[ref] = proc
    proc.watcher_ref = ref
    proc.watcher = me
    me.reductions += 1
    sched._runq.append(proc)
    if not node.scheduled:
        sched._kick()
    return proc, ref


def self() -> Pid:
    """The pid of the calling process."""
    cur = sched._current  # caller(), inlined: self() is called everywhere
    if cur is not None and sched._get_ident() == sched._loop_tid:
        return cur
    return current_proc("self()")  # raises the clear error


def self_pid() -> Pid:
    """The pid of the calling process: :func:`self` under a name that a method's own
    ``self`` does not hide (inside a GenServer callback, ``self`` is the instance)."""
    cur = sched._current
    if cur is not None and sched._get_ident() == sched._loop_tid:
        return cur
    return current_proc("self_pid()")


def make_ref() -> Ref:
    """A new unique reference.  Made in a process, it is also the process's receive
    marker: a receive for a message holding it skips the messages already there."""
    ref = Ref()
    me = sched._current
    if me is not None and sched._get_ident() == sched._loop_tid:
        set_marker(me, ref)
    return ref
