"""The node: one event loop, one run queue, its processes, names, timers and aliases.

A :class:`Node` attaches to an asyncio event loop (the running one, or one on a
thread of its own: see ``livelong.start``) and makes itself the scheduler's running
node; :meth:`Node.detach` ends every process left and releases the loop.  One node
runs per OS process at a time.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from . import _scheduler as sched
from ._args import seconds_arg
from ._ids import LOCAL_NODE, Ref
from ._lifecycle import EXIT_PATH, kill, stop_all
from ._mfa import internal
from ._process import RUNNABLE, Proc
from ._timeouts import Timeouts
from ._watchdog import Watchdog

internal(__file__)

# The cyclic GC thresholds a running node sets (see Node.attach)
GC_THRESHOLD: tuple[int, int, int] = (50_000, 50, 100)
EXIT_CLEANUP_SECONDS = 1.0  # the default bound of a process's cleanup after an exit signal


class Node:
    """A livelong node: one event loop, one run queue, its processes and names.

    Its public methods are thread-safe: code in other threads (or plain asyncio code
    in the loop's thread) spawns into the node and sends to it through them.
    """

    def __init__(
        self,
        name: str = LOCAL_NODE,
        *,
        copy_messages: bool = False,
        watchdog_seconds: float | None = 2.0,
        gc_threshold: tuple[int, int, int] | None = GC_THRESHOLD,
        exit_cleanup_seconds: float | None = EXIT_CLEANUP_SECONDS,
    ) -> None:
        self.name = name
        # How long a process an exit signal ended may run its cleanup (finally blocks,
        # async with exits) before it is closed; None: no bound.  "shutdown" is bounded
        # by its sender instead (a supervisor, by the child's shutdown time).
        self.exit_cleanup_seconds = (
            None
            if exit_cleanup_seconds is None
            else seconds_arg(exit_cleanup_seconds, "Node: exit_cleanup_seconds")
        )
        self.gc_threshold = gc_threshold
        self._old_gc: tuple[int, int, int] | None = None
        self.creation = 0
        self.copy_messages = copy_messages
        self.loop: asyncio.AbstractEventLoop = None  # type: ignore[assignment]
        self.thread_id = -1
        self.procs: dict[int, Proc] = {}
        self.names: dict[str, Proc] = {}
        self.timers: dict[Ref, Any] = {}
        self.aliases: dict[Ref, tuple[Proc, str]] = {}
        self.timeouts: Timeouts = None  # type: ignore[assignment]
        self.scheduled = False
        self.ids = itertools.count(80)
        self.started_at = time.time()
        self.watchdog_seconds = watchdog_seconds
        # How the watchdog's warning tells the user to stop a runaway process: the
        # shell, where Ctrl-C does it, says so instead.
        self.runaway_hint = "Stop it with Process.exit(pid, 'kill') from another thread."
        # The run queue, when not the kernel's FIFO deque: a deque subclass whose
        # popleft picks the next process (livelong.testing.explore's seeded choice).
        # Set before attach; the kernel's hot paths are the same either way.
        self.run_queue: deque[Any] | None = None
        self._watchdog: Watchdog | None = None
        self.stopping = False
        self.on_empty: Callable[[], None] | None = None  # see wind_down

    # --- attaching to an event loop ---------------------------------------------
    def attach(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Make this the node of ``loop`` (default: the running loop) and this thread."""
        running = sched._node
        if running is not None and running is not self:
            raise RuntimeError(
                f"a livelong node ({running.name}) is already running in this OS process; "
                "one node runs per OS process"
            )
        self.loop = loop if loop is not None else asyncio.get_running_loop()
        self.thread_id = threading.get_ident()
        # Receive deadlines are on the loop's clock (a virtual one in tests).
        clock = None if type(self.loop).time is asyncio.BaseEventLoop.time else self.loop.time
        self.timeouts = Timeouts(self.loop, clock or time.monotonic, sched.make_runnable)
        sched.install(self, clock, self.copy_messages, EXIT_PATH)
        if self.gc_threshold is not None:
            # Python's cyclic GC walks every young container; a node allocates a few
            # per spawn and per tail call, so the default (700, 10, 10) made spawning
            # 3x slower, and each full collection walks every process of the node.
            # A node owns its OS process, so it tunes the collector for it.
            self._old_gc = gc.get_threshold()
            gc.set_threshold(*map(max, self.gc_threshold, self._old_gc))
        if self.watchdog_seconds is not None:
            self._watchdog = Watchdog(self, self.watchdog_seconds)
            self._watchdog.start()

    async def wind_down(self, reason: Any = "shutdown") -> None:
        """Send every process the exit signal ``reason`` (as an untrappable exit: it
        reaches each as a cancellation, so its cleanup runs and may await) and wait
        until they are gone, or ``exit_cleanup_seconds`` have passed; :meth:`detach`
        then closes what is left.  What ``livelong.run`` and ``Node.stop`` do before
        they detach."""
        if sched._node is not self or not self.procs:
            return
        for proc in list(self.procs.values()):
            kill(proc, reason)
        gone = asyncio.Event()
        self.on_empty = gone.set  # (called by cleanup as the last process goes)
        try:
            if self.procs:
                await asyncio.wait_for(gone.wait(), self.exit_cleanup_seconds)
        except TimeoutError:
            pass  # detach closes what is left
        finally:
            self.on_empty = None

    def detach(self) -> None:
        """Stop every process left (their ``finally`` blocks run, but can no longer
        await: see :meth:`wind_down`) and release the node."""
        self.stopping = True
        if self._watchdog is not None:
            self._watchdog.stop()
        stop_all(self, "shutdown")
        for h in list(self.timers.values()):  # (a copy: other threads add timers)
            h.cancel()
        self.timers.clear()
        self.timeouts.cancel_all()
        if self._old_gc is not None:
            gc.set_threshold(*self._old_gc)
            self._old_gc = None
        sched.uninstall(self)

    def call_threadsafe(self, fn: Callable[..., Any], *args: Any) -> None:
        if threading.get_ident() == self.thread_id:
            fn(*args)
        else:
            self.loop.call_soon_threadsafe(fn, *args)

    # --- spawning ------------------------------------------------------------------
    def spawn_proc(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Proc:
        if not callable(fn):
            raise TypeError(f"spawn: expected a function to run, got {fn!r}")
        proc = Proc(self.name, next(self.ids), self.creation, fn, args)
        self.procs[proc.id] = proc
        return proc

    def schedule_new(self, proc: Proc) -> None:
        if threading.get_ident() == self.thread_id:
            sched.enqueue(proc)
        else:
            self.loop.call_soon_threadsafe(self._enqueue, proc)

    def _enqueue(self, proc: Proc) -> None:
        if proc.status is RUNNABLE and proc.coro is None and proc.args is not None:
            sched.enqueue(proc)
