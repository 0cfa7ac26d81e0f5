"""How a process ends: its crash report, the exit signals that end it, and the
release of everything it held (names, links, monitors, aliases), which is when its
links and monitors hear of the exit.

The scheduler calls :func:`crashed` when a process's code raised, :func:`cleanup`
when it is over, and :func:`close` to end its coroutine at once; the node hands the
three to the scheduler as it attaches (``_scheduler.install``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from . import _remote
from . import _scheduler as sched
from ._ids import Pid, Ref
from ._mfa import INTERNAL_FILES, internal, mfa_text
from ._process import (
    EXITED,
    EXITING,
    NOT_EXITING,
    SUSPENDED,
    WAITING,
    WAITING_MATCH,
    Exit,
    ExitSignal,
    Interrupt,
    Proc,
    ProcessExit,
)

if TYPE_CHECKING:
    from ._node import Node

internal(__file__)
logger = logging.getLogger("livelong")


def crashed(proc: Proc, e: BaseException) -> None:
    if isinstance(e, ExitSignal):
        reason: Any = e.reason
    elif isinstance(e, Exit):
        reason = e.reason
    elif isinstance(e, Interrupt):
        reason = "killed"
    elif isinstance(e, GeneratorExit):
        reason = "killed"
    else:
        reason = e
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename in INTERNAL_FILES:
            tb = tb.tb_next  # the kernel's own frames say nothing about the crash
        if tb is not None:
            e.__traceback__ = tb
        logger.error(
            "Process %r (%s) raised an exception\n** (%s) %s",
            proc,
            mfa_text(proc.initial_fn),
            type(e).__name__,
            e,
            exc_info=e,
        )
    cleanup(proc, reason, None)
    if isinstance(e, (KeyboardInterrupt, SystemExit)):
        raise e


def close(proc: Proc) -> None:
    """End ``proc``'s coroutine now, running its ``finally`` blocks."""
    coro = proc.coro
    proc.coro = None
    proc.status = EXITING
    sched._stop_waiting(proc)
    if coro is not None:
        try:
            coro.close()
        except BaseException as e:  # a finally block that raised or kept going
            logger.error("Process %r failed while exiting: %r", proc, e, exc_info=e)


def cleanup(proc: Proc, reason: Any, result: Any) -> None:
    """The process is gone: unregister it and fire its links and monitors."""
    if proc.status is EXITED:
        return
    if proc.exit_reason is not NOT_EXITING:  # a kill it caught (from another thread)
        reason = proc.exit_reason
    proc.status = EXITED
    n: Node = sched._node  # type: ignore[assignment]
    pid = proc  # the record is the pid that links and monitors are told about
    n.procs.pop(pid.id, None)
    proc.coro = None
    proc.args = proc.resume = None
    if proc.timeout_seq is not None:
        sched._drop_timeout(proc)
    if proc.name is not None:
        if n.names.get(proc.name) is proc:
            del n.names[proc.name]
        proc.name = None
    proc.mailbox = None
    links = proc.links
    if links:
        proc.links = None
        for other in links:
            if type(other) is Proc:
                if other.status is not EXITED:
                    if other.links is not None:
                        other.links.discard(pid)
                    exit_signal(other, pid, reason, linked=True)
            elif other.node != n.name:
                _remote.remote.exit(pid, other, reason)
    mons = proc.monitors
    if mons:
        proc.monitors = None
        aliases = n.aliases
        for ref, target in mons.items():
            if ref in aliases:
                del aliases[ref]
            if type(target) is Proc:
                target.remove_watcher(ref)
    first = proc.watcher_ref
    if first is not None:
        watcher = proc.watcher
        proc.watcher_ref = proc.watcher = None
        _down(n, watcher, first, pid, reason)  # type: ignore[arg-type]
    watchers = proc.monitored_by
    if watchers:
        proc.monitored_by = None
        for ref, watcher in watchers.items():
            _down(n, watcher, ref, pid, reason)
    if proc.aliases:
        for ref in list(proc.aliases):
            n.aliases.pop(ref, None)
        proc.aliases = None
    cbs = proc.on_exit
    if cbs:
        proc.on_exit = None
        for cb in cbs:
            try:
                cb(reason, result)
            except Exception:
                logger.exception("exit callback of %r failed", pid)
    # The record lives on as a dead pid, maybe for long (in a supervisor's state,
    # in messages): it must keep nothing of the process alive.
    proc.fn = proc.initial_fn = None  # type: ignore[assignment]
    if proc.dictionary is not None:
        proc.dictionary = None
    if proc.patterns:
        proc.patterns = ()
    proc.throw = None
    proc.exit_reason = NOT_EXITING
    proc.mark_ref = proc.mark_ref2 = None


def _down(n: Node, watcher: Pid, ref: Ref, pid: Pid, reason: Any) -> None:
    """Tell ``watcher`` that its monitor ``ref`` of ``pid`` fired."""
    down = ("DOWN", ref, "process", pid, reason)
    if type(watcher) is Proc:
        if watcher.status is EXITED:
            return
        if watcher.monitors is not None:
            watcher.monitors.pop(ref, None)  # a monitor ends with its DOWN
        aliases = n.aliases
        if aliases:
            entry = aliases.get(ref)
            if entry is not None and entry[1] != "explicit_unalias":
                del aliases[ref]
        sched.deliver(watcher, down)
    elif watcher.node != n.name:
        _remote.remote.send(watcher, down)


def stop_all(n: Node, reason: Any) -> None:
    """End every process of the node at once (the node is stopping)."""
    for proc in list(n.procs.values()):
        sched._current = proc
        try:
            close(proc)
        finally:
            sched._current = None
        cleanup(proc, reason, None)


def exit_signal(target: Proc, from_: Pid, reason: Any, linked: bool) -> None:
    """Deliver an exit signal from ``from_`` to ``target`` as OTP does (in the node's
    thread): ``linked`` for a linked process's exit, else ``Process.exit``."""
    if target.status is EXITED or target.status is EXITING:
        return
    if reason == "kill" and not linked:
        kill(target, "killed")
    elif target.trap_exit:
        sched.deliver(target, ("EXIT", from_, reason))
    elif reason == "normal":
        if not linked and from_ == target:
            kill(target, "normal")
    else:
        kill(target, reason)


def kill(proc: Proc, reason: Any) -> None:
    """End ``proc`` with ``reason`` as soon as possible, whatever it is doing (in the
    node's thread; see ``_exits`` for a kill from another thread)."""
    if proc.status is EXITED or proc.status is EXITING:
        return
    if proc is sched._current:
        raise ExitSignal(reason)
    proc.exit_reason = reason
    proc.throw = ProcessExit(reason)
    st = proc.status
    if st is WAITING or st is WAITING_MATCH or st is SUSPENDED:
        sched.make_runnable(proc)
    # RUNNABLE: already queued; RUNNING (another frame up the stack): handled on return


EXIT_PATH = (crashed, cleanup, close)
"""What the node gives the scheduler as it attaches."""
