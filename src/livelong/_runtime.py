"""Starting and stopping nodes: ``livelong.run``, ``livelong.start`` and the
thread-safe :class:`Node` handle used by code outside the node."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any

from ._clock import VirtualClock
from ._core import GC_THRESHOLD, LOCAL_NODE, Exit, Pid, Process, current_node, running_node, send
from ._core import Node as _KernelNode

__all__ = ["Node", "run", "start", "node"]


class Node(_KernelNode):
    """A livelong node.  Its methods are safe to call from any thread and from
    plain asyncio code: they are how code outside the node talks to processes.

    >>> import livelong
    >>> async def worker():                   # a process that adds up its jobs
    ...     total = 0
    ...     while True:
    ...         match await livelong.receive():
    ...             case ("job", x):
    ...                 total += x
    ...             case ("total", reply_to):
    ...                 livelong.send(reply_to, total)
    >>> n = livelong.start()                  # a node on a background thread
    >>> pid = n.spawn(worker)                 # its pid, at once
    >>> n.send(pid, ("job", 1))               # returns the message, as send does
    ('job', 1)
    >>> n.send(pid, ("job", 2))
    ('job', 2)
    >>> async def ask_total():
    ...     livelong.send(pid, ("total", livelong.self()))
    ...     return await livelong.receive()
    >>> n.call(ask_total)                     # run in a process, wait for its result
    3
    >>> n.call(lambda: 1 + 1)
    2
    >>> n.alive(pid)
    True
    >>> n.stop()                              # ends every process, worker included

    Inside a running asyncio program, ``async with livelong.Node() as n:`` attaches a
    node to the running loop for the duration of the block:

    >>> import asyncio
    >>> async def program():                  # plain asyncio code
    ...     async with livelong.Node() as node:
    ...         return await node.acall(lambda: 1 + 1)
    >>> asyncio.run(program())
    2
    """

    def __init__(
        self,
        name: str = LOCAL_NODE,
        *,
        copy_messages: bool = False,
        watchdog_seconds: float | None = 2.0,
        gc_threshold: tuple[int, int, int] | None = GC_THRESHOLD,
    ) -> None:
        super().__init__(
            name,
            copy_messages=copy_messages,
            watchdog_seconds=watchdog_seconds,
            gc_threshold=gc_threshold,
        )
        self._thread: threading.Thread | None = None

    # --- thread-safe API ------------------------------------------------------------
    def spawn(self, fn: Callable[..., Any], *args: Any) -> Pid:
        """Start a process in this node; returns its pid at once."""
        proc = self.spawn_proc(fn, args)
        self.schedule_new(proc)
        return proc

    def send(self, dest: Pid | str, msg: Any) -> Any:
        """Send ``msg`` to a pid or registered name of this node."""
        return send(dest, msg)

    def exit(self, pid: Pid | str, reason: Any) -> bool:
        """Send an exit signal to a process (``"kill"`` stops even a runaway one)."""
        return Process.exit(pid, reason)

    def whereis(self, name: str) -> Pid | None:
        return self.names.get(name)

    def alive(self, pid: Pid) -> bool:
        return Process.alive(pid)

    def info(self, pid: Pid) -> dict[str, Any] | None:
        result: dict[str, Any] | None = Process.info(pid)
        return result

    def processes(self) -> list[Pid]:
        return list(self.procs.values())

    def spawn_watched(
        self, fn: Callable[..., Any], args: tuple[Any, ...], done: Callable[[Any, Any], None]
    ) -> Pid:
        """Spawn ``fn(*args)`` and call ``done(reason, result)`` in the loop thread when
        the process ends."""
        proc = self.spawn_proc(fn, args)
        proc.on_exit = [done]
        self.schedule_new(proc)
        return proc

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
        """From another thread: run ``fn(*args)`` in a new process of this node and
        return its result (re-raising its exception).  Blocks the calling thread."""
        if threading.get_ident() == self.thread_id:
            raise RuntimeError(
                "Node.call blocks: from the node's own thread use `await node.acall(...)`"
            )
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self.spawn_watched(fn, args, lambda reason, result: _settle(fut, reason, result))
        return fut.result(timeout)

    async def acall(self, fn: Callable[..., Any], *args: Any) -> Any:
        """From asyncio code in the node's loop: run ``fn(*args)`` in a new process and
        await its result."""
        fut = self.loop.create_future()
        self.spawn_watched(fn, args, lambda reason, result: _settle(fut, reason, result))
        return await fut

    # --- lifecycle ------------------------------------------------------------------
    async def __aenter__(self) -> Node:
        self.attach()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.detach()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop a node started with :func:`start`: every process is ended (their
        ``finally`` blocks run) and the node's thread exits."""
        t = self._thread
        if t is None:
            raise RuntimeError("Node.stop() is for nodes started with livelong.start()")
        if not self.loop.is_closed():
            try:
                self.loop.call_soon_threadsafe(self._stop_in_loop)
            except RuntimeError:
                pass
        t.join(timeout)

    def _stop_in_loop(self) -> None:
        self.detach()
        self.loop.stop()


def _settle(fut: Any, reason: Any, result: Any) -> None:
    def settle() -> None:
        if fut.done():
            return
        if reason == "normal":
            fut.set_result(result)
        elif isinstance(reason, BaseException):
            fut.set_exception(reason)
        else:
            fut.set_exception(Exit(reason))

    settle()


def run(
    main: Callable[..., Any],
    *args: Any,
    name: str = LOCAL_NODE,
    copy_messages: bool = False,
    watchdog_seconds: float | None = 2.0,
    clock: VirtualClock | None = None,
) -> Any:
    """Start a node, run ``main(*args)`` as its first process, and return main's
    result once it ends (re-raising its exception, or :class:`Exit` for an abnormal
    exit).  Then every process left is stopped and the node is gone.

    ``clock``: a :class:`livelong.testing.VirtualClock` to run the node on virtual
    time (for tests: timeouts and timers then take no real time)."""
    node = Node(name, copy_messages=copy_messages, watchdog_seconds=watchdog_seconds)

    async def runner() -> Any:
        node.attach()
        try:
            return await node.acall(main, *args)
        finally:
            node.detach()

    loop_factory = clock.new_event_loop if clock is not None else None
    with asyncio.Runner(loop_factory=loop_factory) as runner_:
        return runner_.run(runner())


def start(
    name: str = LOCAL_NODE,
    *,
    copy_messages: bool = False,
    watchdog_seconds: float | None = 2.0,
    clock: VirtualClock | None = None,
) -> Node:
    """Start a node on a background thread and return its thread-safe handle
    (``clock``: as for :func:`run`)."""
    node = Node(name, copy_messages=copy_messages, watchdog_seconds=watchdog_seconds)
    ready = threading.Event()
    failed: list[BaseException] = []

    def main() -> None:
        loop = clock.new_event_loop() if clock is not None else asyncio.new_event_loop()
        try:
            asyncio.set_event_loop(loop)
            node.attach(loop)
        except BaseException as e:
            failed.append(e)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            if running_node() is node:
                node.detach()
            loop.close()

    t = threading.Thread(target=main, name=f"livelong-node-{name}", daemon=True)
    node._thread = t
    t.start()
    ready.wait()
    if failed:
        raise failed[0]
    return node


def node() -> Node:
    """The running node of this OS process."""
    return current_node()  # type: ignore[return-value]
