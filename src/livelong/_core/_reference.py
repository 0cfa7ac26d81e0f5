"""Readable versions of the hot paths that the kernel inlines by hand.

``send``, ``receive`` and ``receive_nowait`` (in ``_scheduler``), ``monitor`` (in
``_links``), and ``spawn_monitor`` and ``self`` (in ``_spawn``) are written for
speed: helpers inlined, globals read directly, no call that can be avoided.  Here is
each of them again, written plainly on the kernel's helpers (``deliver``,
``add_monitor``, ``forget_monitor``, ``add_alias``, the marker functions of
``_patterns``, ``Timeouts.arm``): what the inlined copies must do, and what to read
to understand them.  The two must not differ in anything a process can observe.

With ``LIVELONG_REFERENCE=1`` in the environment when livelong is imported, the
kernel's public names (``livelong.send``, ``livelong.receive``...) are these
versions, and ``scripts/test`` runs the property tests that way too, as asyncio keeps
its Python ``Task`` beside the C one to test both.  The inlined copies are the
default; everything else in the kernel keeps calling them either way.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable
from typing import Any

from . import _remote
from . import _scheduler as sched
from ._args import seconds_arg
from ._copying import isolate
from ._ids import Pid, Ref
from ._links import add_alias, add_monitor, drop_alias, forget_monitor
from ._mfa import internal
from ._names import resolve
from ._patterns import find, set_marker, start_at, take
from ._process import WAIT, WAITING, WAITING_MATCH, YIELD, NotInProcessError, Proc
from ._scheduler import current_node, current_proc, deliver, enqueue, proc_of

internal(__file__)

__all__ = ["ENABLED", "monitor", "receive", "receive_nowait", "self", "send", "spawn_monitor"]

ENABLED = os.environ.get("LIVELONG_REFERENCE", "") not in ("", "0")
"""``LIVELONG_REFERENCE`` is set: the kernel's public names are this module's."""


def self() -> Pid:
    """The pid of the calling process."""
    return current_proc("self()")


def send(dest: Any, msg: Any) -> Any:
    """Send ``msg`` to a pid, an alias or a registered name; returns ``msg``.  Never
    blocks; a message to a dead pid or an inactive alias is dropped, as in Erlang."""
    if not sched.on_node_thread():
        return sched._send_from_thread(dest, msg)  # queued for the node's thread
    n = current_node()
    me = sched.caller()
    if me is not None:
        me.reductions += 1
    if sched._copy:
        msg = isolate(msg)
    if isinstance(dest, Pid):
        if type(dest) is Proc or dest.node == n.name:
            proc = proc_of(dest)
            if proc is not None:  # (else a dead process: dropped)
                deliver(proc, msg)
        else:
            _remote.remote.send(dest, msg)
        return msg
    if isinstance(dest, Ref):
        entry = n.aliases.get(dest)
        if entry is not None:
            owner, mode = entry
            if mode == "reply_demonitor":  # the reply ends the alias and the monitor
                drop_alias(dest)
                forget_monitor(owner, dest)
            deliver(owner, msg)
        elif dest.node != n.name:
            _remote.remote.send_alias(dest, msg)
        return msg  # (else an inactive alias: dropped)
    if isinstance(dest, str):
        proc = n.names.get(dest)
        if proc is None:
            raise ValueError(f"send: no process is registered as {dest!r}")
        deliver(proc, msg)
        return msg
    if type(dest) is tuple and len(dest) == 2 and isinstance(dest[0], str):
        name, node = dest
        if node == n.name:
            return send(name, msg)
        _remote.remote.send_name(name, str(node), msg)
        return msg
    raise TypeError(
        f"send: destination must be a Pid, an alias (Ref), a registered name (str) or a "
        f"(name, node) tuple, not {type(dest).__name__}: {dest!r}"
    )


@types.coroutine
def receive(*patterns: Any, timeout: float | None = None, since: Ref | None = None) -> Any:
    """``await receive()``: the oldest message.  With patterns, the oldest message
    matching any of them; the others stay in order.  ``timeout`` in seconds raises
    :class:`TimeoutError`; ``timeout=0`` only looks at what is already there.
    ``since=ref``: no message older than ``ref`` matches (see ``_scheduler.receive``)."""
    proc = sched.caller()  # (also from another thread: None)
    if proc is None:
        raise NotInProcessError(sched.not_in_process("receive()", "awaited"))
    proc.reductions += 1
    start = start_at(proc, patterns, since)  # where a match can be: 0, or the marker
    mb = proc.mailbox
    i = find(mb, patterns, start) if mb else -1
    if i >= 0:
        if proc.reductions >= proc.yield_at:
            yield YIELD  # its budget is spent: let the others run first
        return take(proc, mb, i)  # type: ignore[arg-type]
    if timeout is not None:
        timeout = seconds_arg(timeout, "receive: timeout")
        if timeout == 0:
            raise TimeoutError("receive: no matching message (timeout=0)")
    timeouts = current_node().timeouts
    seq = None if timeout is None else timeouts.arm(proc, timeout)
    checked = len(mb) if mb else 0  # the messages before it do not match
    try:
        while True:
            if patterns:
                proc.patterns = patterns
                proc.status = WAITING_MATCH  # deliver wakes it for a match only
            else:
                proc.status = WAITING  # any message wakes it
            yield WAIT
            mb = proc.mailbox
            if mb:
                i = find(mb, patterns, checked)
                if i >= 0:
                    return take(proc, mb, i)
                checked = len(mb)
            if proc.timed_out:
                raise TimeoutError(f"receive: no matching message within {timeout} s")
    finally:
        proc.matched_at = -1  # deliver's hint for the inlined version: unused here
        if seq is not None:
            proc.timed_out = False
            if proc.timeout_seq == seq:
                timeouts.drop(proc)


def receive_nowait(*patterns: Any, since: Ref | None = None) -> Any:
    """The oldest message (matching any of ``patterns``, if given) of the calling
    process, taken at once; :class:`TimeoutError` if there is none."""
    proc = current_proc("receive_nowait()")
    proc.reductions += 1
    mb = proc.mailbox
    i = find(mb, patterns, start_at(proc, patterns, since)) if mb else -1
    if i < 0:
        raise TimeoutError("receive_nowait: no matching message")
    return take(proc, mb, i)  # type: ignore[arg-type]


def monitor(target: Pid | str, *, alias: str | None = None) -> Ref:
    """Monitor a process (pid or registered name): the caller gets ``("DOWN", ref,
    "process", pid, reason)`` when it exits, at once with ``"noproc"`` if it is dead.
    With ``alias=`` the ref is also an alias of the caller (see ``_links.monitor``)."""
    me = current_proc("monitor()")
    pid = target if isinstance(target, Pid) else resolve(target, "monitor")
    proc = proc_of(pid) if pid is not None else None
    ref = Ref()
    set_marker(me, ref)  # its DOWN, or a reply to it, comes after what is there now
    if alias is not None:
        add_alias(me, ref, alias)
    if proc is not None:
        add_monitor(me, proc, ref)
        return ref
    if pid is not None and pid.node != current_node().name and _remote.remote.monitor(me, pid, ref):
        if me.monitors is None:
            me.monitors = {}
        me.monitors[ref] = pid  # a monitor of a process of another node
        return ref
    if alias is not None and alias != "explicit_unalias":
        drop_alias(ref)
    deliver(me, ("DOWN", ref, "process", pid if pid is not None else target, "noproc"))
    return ref


def spawn_monitor(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> tuple[Pid, Ref]:
    """``spawn`` and monitor the new process; returns ``(pid, ref)``."""
    if kwargs:
        import functools

        fn = functools.partial(fn, **kwargs)
    me = current_proc("spawn_monitor()")
    if not callable(fn):
        raise TypeError(f"spawn_monitor: expected a function to run, got {fn!r}")
    proc = current_node().spawn_proc(fn, args)
    ref = Ref()
    set_marker(me, ref)
    add_monitor(me, proc, ref)
    me.reductions += 1
    enqueue(proc)
    return proc, ref
