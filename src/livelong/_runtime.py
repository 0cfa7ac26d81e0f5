"""Starting and stopping nodes: ``livelong.run``, ``livelong.start`` and the
thread-safe :class:`Node` handle used by code outside the node."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

from ._clock import VirtualClock
from ._core import (
    EXIT_CLEANUP_SECONDS,
    GC_THRESHOLD,
    LOCAL_NODE,
    Exit,
    Pid,
    Process,
    current_node,
    outside_pid,
    running_node,
    send,
    send_exit,
    send_from_thread,
)
from ._core import Node as _KernelNode

if TYPE_CHECKING:
    from .lowlevel import LocalPid

__all__ = ["Node", "run", "start", "node"]


T = TypeVar("T")


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
    >>> n.send("nobody", "hi")                # as inside the node: no such name
    Traceback (most recent call last):
    ...
    ValueError: send: no process is registered as 'nobody'
    >>> n.stop()                              # ends every process, worker included
    >>> n.spawn(worker)                       # a stopped node's handle refuses
    Traceback (most recent call last):
    ...
    RuntimeError: Node.spawn: node nonode@nohost is stopped

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
        exit_cleanup_seconds: float | None = EXIT_CLEANUP_SECONDS,
    ) -> None:
        super().__init__(
            name,
            copy_messages=copy_messages,
            watchdog_seconds=watchdog_seconds,
            gc_threshold=gc_threshold,
            exit_cleanup_seconds=exit_cleanup_seconds,
        )
        self._thread: threading.Thread | None = None
        # What this handle may do: only while its node runs.  Spawning holds the lock,
        # so a spawn from another thread lands before detach ends every process, or
        # fails: it never leaves a process behind in a stopped node.
        self._lock = threading.Lock()
        self._state = _NEW

    def _check(self, what: str) -> None:
        """A clear error unless this node is running (the handle reaches only it)."""
        state = self._state
        if state is not _RUNNING:
            if state is _NEW:
                raise RuntimeError(
                    f"{what}: node {self.name} is not running (livelong.start() starts "
                    "a node on a thread of its own; `async with node:` attaches this one "
                    "to the running asyncio loop)"
                )
            raise RuntimeError(f"{what}: node {self.name} is {state}")

    def _foreign(self) -> bool:
        return threading.get_ident() != self.thread_id

    # --- thread-safe API ------------------------------------------------------------
    @property
    def outside_pid(self) -> Pid:
        """The pid that stands for code outside the node's processes (another
        thread, plain asyncio code): exit signals from there come from it, so a
        process trapping exits receives ``("EXIT", node.outside_pid, reason)``.  No
        process has it: a message to it is dropped."""
        return outside_pid(self)

    def spawn(self, fn: Callable[..., Any], *args: Any) -> Pid:
        """Start a process in this node; returns its pid at once."""
        return self._spawn("Node.spawn", fn, args, None)

    def send(self, dest: Pid | str, msg: Any) -> Any:
        """Send ``msg`` to a pid or registered name of this node; returns ``msg``.  As
        inside the node, a name that is not registered raises ValueError."""
        self._check("Node.send")
        if self._foreign():
            return send_from_thread(dest, msg, self)
        return send(dest, msg)

    def exit(self, pid: Pid | str, reason: Any) -> bool:
        """Send an exit signal to a process (``"kill"`` stops even a runaway one).

        From outside the node's processes the signal comes from :attr:`outside_pid`
        and acts as one from another process: ``"normal"`` is ignored by a process
        that does not trap exits, a trapping one receives ``("EXIT", outside_pid,
        reason)``, any other reason ends a process that does not trap exits."""
        self._check("Node.exit")
        return send_exit(pid, reason, node=self)

    def whereis(self, name: str) -> Pid | None:
        """The process registered as ``name``, or None."""
        self._check("Node.whereis")
        return self.names.get(name)

    def alive(self, pid: Pid) -> bool:
        """True while ``pid`` is a live process of this node."""
        self._check("Node.alive")
        return Process.alive(pid)

    def info(self, pid: Pid) -> dict[str, Any] | None:
        """A snapshot of the process (see ``Process.info``); None once it is dead."""
        self._check("Node.info")
        result: dict[str, Any] | None = Process.info(pid)
        return result

    def processes(self) -> list[Pid]:
        """The pids of the node's live processes."""
        self._check("Node.processes")
        return list(self.procs.values())

    def spawn_watched(
        self, fn: Callable[..., Any], args: tuple[Any, ...], done: Callable[[Any, Any], None]
    ) -> Pid:
        """Spawn ``fn(*args)`` and call ``done(reason, result)`` in the loop thread when
        the process ends (with ``"shutdown"`` if the node stops first)."""
        return self._spawn("Node.spawn_watched", fn, args, done)

    def _spawn(
        self,
        what: str,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        done: Callable[[Any, Any], None] | None,
    ) -> Pid:
        with self._lock:
            self._check(what)
            proc = self.spawn_proc(fn, args)
            if done is not None:
                proc.on_exit = [done]
            self._schedule(proc, what)
        return proc

    def schedule_new(self, proc: LocalPid) -> None:
        """Queue a process that ``spawn_proc`` made (``livelong.spawn`` from another
        thread comes here): refused, and the process dropped, once the node stops."""
        with self._lock:
            self._schedule(proc, "spawn")

    def _schedule(self, proc: LocalPid, what: str) -> None:
        """(With the lock held.)  A process made before the node began to stop is in
        its table, so the stop ends it; one made later is refused here."""
        if self._state is _RUNNING:
            try:
                super().schedule_new(proc)
                return
            except RuntimeError:  # the loop closed without a detach
                self._state = _STOPPED
        if self.procs.get(proc.id) is proc:
            del self.procs[proc.id]
        self._check(what)

    @overload
    def call(
        self, fn: Callable[..., Awaitable[T]], *args: Any, timeout: float | None = None
    ) -> T: ...
    @overload
    def call(self, fn: Callable[..., T], *args: Any, timeout: float | None = None) -> T: ...
    def call(self, fn: Callable[..., Any], *args: Any, timeout: float | None = None) -> Any:
        """From another thread: run ``fn(*args)`` in a new process of this node and
        return its result (re-raising its exception; :class:`Exit` with the reason
        if it exits abnormally, ``Exit("shutdown")`` if the node stops first).  Blocks
        the calling thread; TimeoutError after ``timeout`` seconds (the process goes
        on)."""
        if threading.get_ident() == self.thread_id:
            raise RuntimeError(
                "Node.call blocks: from the node's own thread use `await node.acall(...)`"
            )
        fut: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._spawn("Node.call", fn, args, lambda reason, result: _settle(fut, reason, result))
        return fut.result(timeout)

    @overload
    async def acall(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T: ...
    @overload
    async def acall(self, fn: Callable[..., T], *args: Any) -> T: ...
    async def acall(self, fn: Callable[..., Any], *args: Any) -> Any:
        """From asyncio code in the node's loop: run ``fn(*args)`` in a new process and
        await its result."""
        self._check("Node.acall")
        fut = self.loop.create_future()
        self._spawn("Node.acall", fn, args, lambda reason, result: _settle(fut, reason, result))
        return await fut

    # --- lifecycle ------------------------------------------------------------------
    def attach(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().attach(loop)
        with self._lock:
            self._state = _RUNNING

    def detach(self) -> None:
        with self._lock:  # from now on the handle refuses; what was spawned is ended
            self._state = _STOPPING
        try:
            super().detach()
        finally:
            self._state = _STOPPED

    async def __aenter__(self) -> Node:
        self.attach()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self._end()

    async def _end(self) -> None:
        """Let the processes clean up (``wind_down``), then detach.  From the start
        of it, the handle refuses new work."""
        with self._lock:
            if self._state is _RUNNING:
                self._state = _STOPPING
        await self.wind_down()
        self.detach()

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop a node started with :func:`start`: every process is ended (their
        ``finally`` blocks run), then the node's thread ends; returns once it has.
        :class:`TimeoutError` if the thread is still running after ``timeout``
        seconds (None: wait as long as it takes).  Stopping a stopped node does
        nothing; the handle's other methods then raise RuntimeError."""
        t = self._thread
        if t is None:
            raise RuntimeError("Node.stop() is for nodes started with livelong.start()")
        if t.ident == threading.get_ident():
            raise RuntimeError(
                f"Node.stop() waits for node {self.name}'s thread to end, so it cannot "
                "wait for its own thread: call it from another thread"
            )
        if not self.loop.is_closed():
            try:
                self.loop.call_soon_threadsafe(self._stop_in_loop)
            except RuntimeError:
                pass  # closed meanwhile: the node is stopping anyway
        t.join(timeout)
        if t.is_alive():
            raise TimeoutError(
                f"Node.stop: node {self.name} did not stop within {timeout} s (its "
                "thread is still running: a process that does not yield, or a finally "
                "block still running); call stop() again to wait longer"
            )

    def _stop_in_loop(self) -> None:
        self.loop.create_task(self._stop_processes())

    async def _stop_processes(self) -> None:
        try:
            if self._state is _RUNNING:
                await self._end()
        finally:
            self.loop.stop()


# A handle's states: what it may do follows from them (see Node._check)
_NEW = "new"
_RUNNING = "running"
_STOPPING = "stopping"
_STOPPED = "stopped"


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


@overload
def run(
    main: Callable[..., Awaitable[T]],
    *args: Any,
    name: str = ...,
    copy_messages: bool = ...,
    watchdog_seconds: float | None = ...,
    clock: VirtualClock | None = ...,
    exit_cleanup_seconds: float | None = ...,
) -> T: ...
@overload
def run(
    main: Callable[..., T],
    *args: Any,
    name: str = ...,
    copy_messages: bool = ...,
    watchdog_seconds: float | None = ...,
    clock: VirtualClock | None = ...,
    exit_cleanup_seconds: float | None = ...,
) -> T: ...
def run(
    main: Callable[..., Any],
    *args: Any,
    name: str = LOCAL_NODE,
    copy_messages: bool = False,
    watchdog_seconds: float | None = 2.0,
    clock: VirtualClock | None = None,
    exit_cleanup_seconds: float | None = EXIT_CLEANUP_SECONDS,
) -> Any:
    """Start a node, run ``main(*args)`` as its first process, and return main's
    result once it ends (re-raising its exception, or :class:`Exit` for an abnormal
    exit).  Then every process left is stopped and the node is gone.  For type
    checkers ``run(main)`` is a ``T`` when ``main`` returns ``T`` or an awaitable of
    ``T`` (``async def main() -> T``).

    ``clock``: a :class:`livelong.testing.VirtualClock` to run the node on virtual
    time (for tests: timeouts and timers then take no real time).
    ``exit_cleanup_seconds``: how long a process that an exit signal ended may run its
    cleanup (``finally`` blocks, ``async with`` exits) before it is closed; also how
    long the processes left when main ends get to clean up."""
    _check_not_in_a_loop("livelong.run(main)")
    node = Node(
        name,
        copy_messages=copy_messages,
        watchdog_seconds=watchdog_seconds,
        exit_cleanup_seconds=exit_cleanup_seconds,
    )
    return run_on(node, main, *args, clock=clock)


def run_on(
    node: Node, main: Callable[..., Any], *args: Any, clock: VirtualClock | None = None
) -> Any:
    """:func:`run` on a node made (not yet attached) by the caller: for tools that set
    the node up first, as :mod:`livelong.testing` does."""
    _check_not_in_a_loop("livelong.run(main)")

    async def runner() -> Any:
        node.attach()
        try:
            return await node.acall(main, *args)
        finally:
            await node._end()

    loop_factory = clock.new_event_loop if clock is not None else None
    with asyncio.Runner(loop_factory=loop_factory) as runner_:
        return runner_.run(runner())


def _check_not_in_a_loop(what: str) -> None:
    """``livelong.run`` starts an event loop of its own: say what to do instead when
    it is called where one already runs (in a process, in the shell, in asyncio code)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        f"{what} starts a node and its event loop, but it was called inside a running "
        "event loop (a livelong process, the shell, or asyncio code). Inside a process or "
        "the shell, `await main()` or `spawn(main)` instead; in a module that the shell "
        "loads with c(), put the call under `if __name__ == '__main__':`; from asyncio "
        "code, use a Node and `await node.acall(main)`."
    )


def start(
    name: str = LOCAL_NODE,
    *,
    copy_messages: bool = False,
    watchdog_seconds: float | None = 2.0,
    clock: VirtualClock | None = None,
    exit_cleanup_seconds: float | None = EXIT_CLEANUP_SECONDS,
) -> Node:
    """Start a node on a background thread and return its thread-safe handle
    (``clock``: as for :func:`run`)."""
    node = Node(
        name,
        copy_messages=copy_messages,
        watchdog_seconds=watchdog_seconds,
        exit_cleanup_seconds=exit_cleanup_seconds,
    )
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
