"""The process record, its status, and the only values a process yields to the kernel.

A local process is one object, :class:`LocalPid`: the pid that ``spawn`` returns and
the kernel's record of the process (the kernel calls it ``Proc``).

Status
------

``status`` is one of the constants below, compared by identity.  Everything that
changes it follows this table, and nothing else does (with
``LIVELONG_CHECK_TRANSITIONS=1``, as in the test suite, every assignment is checked
against it and a violation raises :class:`TransitionError`)::

    state          event                                                  new state
    -------------  -----------------------------------------------------  ----------
    (spawn)        created, queued                                        RUNNABLE
    RUNNABLE       the slice picks it                                     RUNNING
    PREEMPTED      the slice picks it                                     RUNNING
    RUNNING        receive finds nothing to take                          WAITING
    RUNNING        a selective receive finds no match                     WAITING_MATCH
    RUNNING        awaits an asyncio future                               SUSPENDED
    RUNNING        spent its budget, or yielded (``asyncio.sleep(0)``)    PREEMPTED
    RUNNING        yielded something it must not: an error is thrown in   RUNNABLE
    WAITING        a message, its timeout, a signal                       RUNNABLE
    WAITING_MATCH  a matching message, its timeout, a signal              RUNNABLE
    SUSPENDED      its future is done, a cancel, a signal                 RUNNABLE
    any but EXITED its coroutine is closed (node stop, cleanup over time) EXITING
    RUNNING        returned, raised, or ended by a signal                 EXITED
    EXITING        its links, monitors and names are released             EXITED

An exit signal that ends a process does not change its status: it sets
``exit_reason`` and ``throw`` (a cancellation raised at the await the process is
parked in), and the process keeps running through the table while its ``finally``
blocks and ``async with`` exits run.  ``Process.info`` shows it as ``exiting``.

Field invariants
----------------

* ``args`` holds the arguments of ``fn`` until the process first runs, then None;
  ``resume`` holds a plain function's tail call that waits for its next turn.
* ``coro`` is None before the first step, between a plain function's tail calls, and
  after the exit; ``fut`` is set only while SUSPENDED.
* ``timeout_seq`` is the sequence number of its armed receive timeout (see
  ``_timeouts``), None when none is armed; ``timed_out`` says it fired.
* ``patterns`` are those of the selective receive it waits in; ``matched_at`` is the
  mailbox index of the message that woke it (-1: none).
* ``mailbox`` is made at the first message, so an idle process is cheap.
* ``mark_ref``/``mark_ref2`` and ``mark_at``: the receive marker.  Messages before
  mailbox index ``mark_at`` arrived before those refs were made, so a receive that
  needs one of them starts scanning there.
* After the exit every field that could keep something alive is dropped: a dead pid
  lives on in other processes' state and messages.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import deque
from collections.abc import Callable
from typing import Any

from ._ids import Pid, Ref
from ._mfa import internal

internal(__file__)

RUNNABLE = "runnable"
RUNNING = "running"
PREEMPTED = "preempted"  # back in the queue after spending its budget: busy
WAITING = "waiting"  # in receive: any message makes it runnable
WAITING_MATCH = "waiting_match"  # in a selective receive: only a matching message
SUSPENDED = "suspended"  # awaiting an asyncio future: only the future wakes it
EXITING = "exiting"
EXITED = "exited"

# The only values a process's coroutine yields to the kernel (besides asyncio futures,
# and None from ``asyncio.sleep(0)``, which the kernel treats as YIELD).
WAIT = object()  # from receive: "park me until a message arrives"
YIELD = object()  # the reduction budget is spent: "put me at the back of the queue"

BUDGET = 2000  # reductions a process may spend before it is put back in the queue

NOT_EXITING: Any = object()  # ``exit_reason`` of a process no exit signal has ended

CHECK_TRANSITIONS = os.environ.get("LIVELONG_CHECK_TRANSITIONS", "") not in ("", "0")

# A receive awaited in another thread while the node's thread runs a process (found
# only by asking which thread this is: 3% of a message hop) is checked, as asyncio
# checks calls from the wrong thread, in debug mode only: the kernel's assertion mode,
# Python's development mode (-X dev) or asyncio's debug mode (PYTHONASYNCIODEBUG=1).
# Without it such a receive is still refused whenever no process is running, which is
# most of the time; plain asyncio code on the node's thread always is.
CHECK_THREADS = (
    CHECK_TRANSITIONS or sys.flags.dev_mode or bool(os.environ.get("PYTHONASYNCIODEBUG"))
)

_ANY_LIVE = (RUNNABLE, RUNNING, PREEMPTED, WAITING, WAITING_MATCH, SUSPENDED)
TRANSITIONS: dict[str, frozenset[str]] = {
    RUNNABLE: frozenset({RUNNING, EXITING}),
    PREEMPTED: frozenset({RUNNING, EXITING}),
    RUNNING: frozenset({WAITING, WAITING_MATCH, SUSPENDED, PREEMPTED, RUNNABLE, EXITING, EXITED}),
    WAITING: frozenset({RUNNABLE, EXITING}),
    WAITING_MATCH: frozenset({RUNNABLE, EXITING}),
    SUSPENDED: frozenset({RUNNABLE, EXITING}),
    EXITING: frozenset({EXITED}),
    EXITED: frozenset(),
}
"""The status table above, as data: the statuses each status may change to."""


class TransitionError(AssertionError):
    """A status change the table does not allow (checked with LIVELONG_CHECK_TRANSITIONS)."""


violations: list[str] = []  # every TransitionError raised, for the test suite to check


class NotInProcessError(RuntimeError):
    """A process-only operation (``receive``, ``self``...) was used outside a process."""


class Exit(Exception):
    """An exit: raised by ``exit(reason)``, or by a call whose server exited.

    ``reason`` is the exit reason (``"normal"``, ``"shutdown"``, ``"noproc"``,
    ``("shutdown", term)``, an exception, or any term).
    """

    def __init__(self, reason: Any, *context: Any) -> None:
        super().__init__(reason, *context)
        self.reason = reason
        self.context = context

    def __str__(self) -> str:
        if self.context:
            return f"exit {self.reason!r} in {', '.join(map(repr, self.context))}"
        return f"exit {self.reason!r}"


class ProcessExit(asyncio.CancelledError):
    """Raised in a process that an exit signal ends, at the await it is parked in.

    It is a :class:`asyncio.CancelledError`, so asyncio code (``asyncio.timeout``,
    TaskGroups, connection pools) cleans up as for a cancelled Task; ``finally``
    blocks and ``async with`` exits run and may await.  Catching it does not keep the
    process alive: it exits with ``reason`` once its code has unwound."""

    def __init__(self, reason: Any) -> None:
        super().__init__(reason)
        self.reason = reason


class CloseNow(BaseException):
    """The ``throw`` that makes the scheduler close a process's coroutine at its next
    step instead of resuming it: its cleanup ran past its bound, or a second kill."""


class Interrupt(BaseException):
    """Raised asynchronously in the node's thread to stop a runaway process (a kill
    from another thread, or the shell's Ctrl-C)."""


class Tail:
    """``return tail(fn, *args)``: continue this process in ``fn(*args)``, stack-free."""

    __slots__ = ("fn", "args")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args

    def __repr__(self) -> str:
        return f"tail({getattr(self.fn, '__qualname__', self.fn)!r}, ...)"


def tail(fn: Callable[..., Any], *args: Any) -> Tail:
    """Return ``tail(fn, *args)`` from a process function to continue in ``fn``
    without growing the stack (the last-call optimisation of Erlang)."""
    if not callable(fn):
        raise TypeError(f"tail() needs a function to continue in, got {fn!r}")
    return Tail(fn, args)


def _no_wake(proc: LocalPid) -> None:
    raise RuntimeError("the livelong scheduler is not loaded")


# Set by the scheduler (above this module): make a waiting process runnable; the loop
# of the running node.  Hooks, not imports, so the record does not import the scheduler.
wake: Callable[[LocalPid], None] = _no_wake
node_loop: Callable[[], asyncio.AbstractEventLoop] = asyncio.get_running_loop


_FIELDS = (
    "coro",
    "fn",
    "args",
    "resume",
    "patterns",
    "matched_at",
    "mailbox",
    "timeout_seq",
    "timed_out",
    "fut",
    "throw",
    "exit_reason",
    "links",
    "monitors",
    "watcher_ref",
    "watcher",
    "monitored_by",
    "trap_exit",
    "name",
    "reductions",
    "yield_at",
    "dictionary",
    "initial_fn",
    "cancel_requests",
    "on_exit",
    "aliases",
    "mark_ref",
    "mark_ref2",
    "mark_at",
)


class LocalPid(Pid):
    """The pid of a process of this node, which is also the kernel's record of that
    process (the kernel calls it ``Proc``).

    ``spawn`` returns this very object: as a :class:`Pid` it compares, hashes,
    orders and prints by its identity fields alone, and it stays a valid (dead) pid
    after the process exits, when the kernel drops everything else it held.  One
    object per process instead of a pid and a record halved the allocations of a
    spawn.  It also implements the subset of :class:`asyncio.Task` that
    ``asyncio.timeout`` and aiohttp use, since a running process is the loop's
    current task.
    """

    __slots__ = (*_FIELDS, "_status" if CHECK_TRANSITIONS else "status")

    status: str  # pyright: ignore[reportRedeclaration]  (a property when checking transitions)
    _status: str

    def __init__(
        self, node: str, id: int, creation: int, fn: Callable[..., Any], args: tuple[Any, ...]
    ) -> None:
        self.node = node
        self.id = id
        self.serial = 0
        self.creation = creation
        self.status = RUNNABLE
        self.coro: Any = None
        self.fn = fn
        self.args: tuple[Any, ...] | None = args
        self.resume: Tail | None = None
        self.patterns: tuple[Any, ...] = ()
        self.matched_at = -1
        self.mailbox: deque[Any] | None = None
        self.timeout_seq: int | None = None
        self.timed_out = False
        self.fut: Any = None
        self.throw: BaseException | None = None
        self.exit_reason: Any = NOT_EXITING
        self.links: set[Pid] | None = None
        self.monitors: dict[Ref, Any] | None = None
        # Who monitors this process: the first monitor in two slots (most processes
        # have at most one watcher: spawn_monitor, a Task's owner, a GenServer's
        # caller), the others in a dict.  A dict for every spawn_monitor cost a tenth
        # of it (allocation, GC and the cache misses of 224 bytes).
        self.watcher_ref: Ref | None = None
        self.watcher: Pid | None = None
        self.monitored_by: dict[Ref, Pid] | None = None
        self.trap_exit = False
        self.name: str | None = None
        self.reductions = 0
        self.yield_at = BUDGET
        self.dictionary: dict[Any, Any] | None = None
        self.initial_fn = fn
        self.cancel_requests = 0
        self.on_exit: list[Callable[[Any, Any], None]] | None = None
        self.aliases: set[Ref] | None = None  # explicit aliases (monitor aliases: monitors)
        self.mark_ref: Ref | None = None
        self.mark_ref2: Ref | None = None
        self.mark_at = 0

    if CHECK_TRANSITIONS:

        @property  # type: ignore[no-redef]
        def status(self) -> str:
            return self._status

        @status.setter
        def status(self, new: str) -> None:
            try:
                old = self._status
            except AttributeError:  # (the record is being made)
                self._status = new
                return
            if new is not old and new not in TRANSITIONS[old]:
                text = f"process {self!r}: status {old} -> {new} is not in the table"
                violations.append(text)
                raise TransitionError(text)
            self._status = new

    # --- who monitors it (the monitored side of monitors) -------------------------
    def add_watcher(self, ref: Ref, watcher: Pid) -> None:
        """Record that ``watcher`` monitors this process under ``ref``."""
        if self.watcher_ref is None:
            self.watcher_ref = ref
            self.watcher = watcher
        else:
            if self.monitored_by is None:
                self.monitored_by = {}
            self.monitored_by[ref] = watcher

    def remove_watcher(self, ref: Ref) -> None:
        """Forget the monitor ``ref`` on this side, if it is there."""
        if self.watcher_ref is ref:
            self.watcher_ref = self.watcher = None
        elif self.monitored_by is not None:
            self.monitored_by.pop(ref, None)

    def watchers(self) -> list[Pid]:
        """The pids that monitor this process, oldest first."""
        first = self.watcher  # (each field read once: safe from another thread)
        out = [] if first is None else [first]
        by = self.monitored_by
        if by:
            out.extend(list(by.values()))  # (a C-level copy: safe from another thread)
        return out

    # --- the asyncio Task protocol subset that asyncio.timeout and aiohttp use ----
    def cancel(self, msg: Any = None) -> bool:
        st = self.status
        if st is EXITED or st is EXITING or self.exit_reason is not NOT_EXITING:
            return False
        self.cancel_requests += 1
        fut = self.fut
        if fut is not None:
            return bool(fut.cancel(msg=msg))
        self.throw = asyncio.CancelledError(msg) if msg else asyncio.CancelledError()
        wake(self)
        return True

    def cancelling(self) -> int:
        return self.cancel_requests

    def uncancel(self) -> int:
        if self.cancel_requests > 0:
            self.cancel_requests -= 1
        return self.cancel_requests

    def done(self) -> bool:
        return self.status is EXITED

    def cancelled(self) -> bool:
        return False

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return node_loop()

    def get_name(self) -> str:
        return repr(self)

    def get_coro(self) -> Any:
        return self.coro

    def _fut_done(self, fut: Any) -> None:
        if self.fut is fut:
            self.fut = None
            wake(self)


Proc = LocalPid
