"""How a process ends: its crash report, the exit signals that end it, and the
release of everything it held (names, links, monitors, aliases), which is when its
links and monitors hear of the exit.

The scheduler calls :func:`crashed` when a process's code raised, :func:`cleanup`
when it is over, and :func:`close` to end its coroutine at once; the node hands the
three to the scheduler as it attaches (``_scheduler.install``).
"""

from __future__ import annotations

import ctypes
import logging
from typing import TYPE_CHECKING, Any

from . import _remote, _telemetry
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
    CloseNow,
    Exit,
    Interrupt,
    Proc,
    ProcessExit,
)

if TYPE_CHECKING:
    from ._node import Node

internal(__file__)
logger = logging.getLogger("livelong")

CRASH = ("livelong", "process", "crash")


def is_atom(term: Any, atom: str) -> bool:
    """``term == atom`` for an exit reason, which may be any term: one whose ``==``
    raises or returns something else than a bool is not ``atom``."""
    return isinstance(term, str) and str.__eq__(term, atom) is True


def crashed(proc: Proc, e: BaseException) -> None:
    """The process's code raised ``e``: report it and end the process."""
    exiting = proc.exit_reason
    if exiting is not NOT_EXITING:  # it was already ending: its reason stays
        if not isinstance(e, (ProcessExit, Interrupt, Exit)):
            logger.error(
                "Process %r raised while exiting with reason %r: %s: %s",
                proc,
                exiting,
                type(e).__name__,
                e,
                exc_info=e,
            )
        cleanup(proc, exiting, None)
        return
    if isinstance(e, ProcessExit):
        reason: Any = e.reason
    elif isinstance(e, Exit):
        reason = e.reason
    elif isinstance(e, Interrupt):
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
        if _telemetry.attached(CRASH):
            _telemetry.execute(
                CRASH, {}, {"pid": proc, "reason": e, "initial_call": mfa_text(proc.initial_fn)}
            )
    # SystemExit and KeyboardInterrupt too end this process alone, as any exception
    # does: the node and its other processes go on.  (``livelong.run`` re-raises
    # them when its main process raised them, as it re-raises main's exceptions.)
    cleanup(proc, reason, None)


UNCLOSABLE: list[str] = []
"""Coroutines that would not close (they swallow ``GeneratorExit``): leaked, never run."""


def close(proc: Proc) -> None:
    """End ``proc``'s coroutine now, running its ``finally`` blocks (which cannot
    await any more: an await there is logged)."""
    coro = proc.coro
    proc.coro = None
    sched._stop_waiting(proc)
    if coro is not None:
        try:
            coro.close()
        except BaseException as e:  # a finally block that raised or kept going
            logger.error("Process %r failed while exiting: %r", proc, e, exc_info=e)
        if getattr(coro, "cr_frame", None) is not None:
            # It caught GeneratorExit and went on.  Closing it again, as the garbage
            # collector would (at the latest when the interpreter exits), would run
            # its loop again outside any node, maybe for ever: it is leaked instead,
            # one reference that is never given back, so that it never runs again.
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(coro))
            UNCLOSABLE.append(repr(coro))
        sched._stop_waiting(proc)  # (what code that ignored the close waited on)
    proc.status = EXITING


def cleanup(proc: Proc, reason: Any, result: Any) -> None:
    """The process is gone: unregister it and fire its links and monitors.  Each
    watcher is told whatever happens to the others."""
    if proc.status is EXITED:
        return
    if proc.exit_reason is not NOT_EXITING:  # an exit signal ended it: its reason
        reason = proc.exit_reason
    proc.status = EXITED
    n: Node = sched._node  # type: ignore[assignment]
    pid = proc  # the record is the pid that links and monitors are told about
    n.procs.pop(pid.id, None)
    if n.on_empty is not None and not n.procs:
        n.on_empty()
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
                    _tell(exit_signal, other, pid, reason, True)
            elif other.node != n.name:
                _tell(_remote.remote.exit, pid, other, reason)
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
        _tell(_down, n, watcher, first, pid, reason)
    watchers = proc.monitored_by
    if watchers:
        proc.monitored_by = None
        for ref, watcher in watchers.items():
            _tell(_down, n, watcher, ref, pid, reason)
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


def _tell(fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except Exception:
        logger.exception("livelong: telling %r of an exit failed", args[1])


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
    if not linked and is_atom(reason, "kill"):
        kill(target, "killed")
    elif target.trap_exit:
        sched.deliver(target, ("EXIT", from_, reason))
    elif is_atom(reason, "normal"):
        if not linked and from_ == target:
            kill(target, "normal")
    else:
        kill(target, reason)


def kill(proc: Proc, reason: Any) -> None:
    """End ``proc`` with ``reason`` (in the node's thread; see ``_exits`` for a kill
    from another thread).

    The process is not stopped on the spot: a :class:`ProcessExit` (a
    ``CancelledError``) is raised at the await it is parked in, so its ``finally``
    blocks and ``async with`` exits run and may await; its links and monitors hear of
    the exit once its code has unwound.  That cleanup is bounded: for ``"shutdown"``
    by whoever sent it (a supervisor kills after the child's shutdown time), for
    every other reason by the node's ``exit_cleanup_seconds``; past the bound, or at
    a second kill, the coroutine is closed at once.
    """
    st = proc.status
    if st is EXITED or st is EXITING:
        return
    if proc.exit_reason is not NOT_EXITING:  # already cleaning up
        if is_atom(reason, "killed"):
            proc.exit_reason = "killed"
            _close_at_next_step(proc)
        return
    if proc is sched._current:  # it signalled itself: raise at once
        proc.exit_reason = reason
        _bound_cleanup(proc, reason)
        raise ProcessExit(reason)
    proc.exit_reason = reason
    proc.throw = ProcessExit(reason)
    proc.cancel_requests += 1  # as a cancelled Task: asyncio.timeout and TaskGroup count it
    _bound_cleanup(proc, reason)
    if st is WAITING or st is WAITING_MATCH or st is SUSPENDED:
        sched.make_runnable(proc)
    # RUNNABLE: already queued; RUNNING (another frame up the stack): handled on return


def _bound_cleanup(proc: Proc, reason: Any) -> None:
    n = sched._node
    if n is None or is_atom(reason, "shutdown"):
        return
    seconds = n.exit_cleanup_seconds
    if seconds is not None and seconds != float("inf"):
        n.loop.call_later(seconds, _cleanup_overdue, proc)


def _cleanup_overdue(proc: Proc) -> None:
    if proc.status is EXITED or proc.status is EXITING:
        return
    n = sched._node
    logger.warning(
        "Process %r did not finish its cleanup within %s s of its exit signal (%r): closing it",
        proc,
        n.exit_cleanup_seconds if n is not None else "?",
        proc.exit_reason,
    )
    _close_at_next_step(proc)


def _close_at_next_step(proc: Proc) -> None:
    proc.throw = CloseNow()
    if proc is not sched._current:
        st = proc.status
        if st is WAITING or st is WAITING_MATCH or st is SUSPENDED:
            sched.make_runnable(proc)


EXIT_PATH = (crashed, cleanup, close)
"""What the node gives the scheduler as it attaches."""
