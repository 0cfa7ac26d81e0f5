"""Task: run one function in its own process and (usually) wait for its result.

``async`` and ``await`` are Python keywords, so Elixir's ``Task.async``/``Task.await``
are spelled ``Task.async_`` and ``Task.await_`` (and ``Task.yield_`` to match).

>>> import livelong
>>> from livelong import Task
>>> async def main():
...     t = Task.async_(lambda: sum(range(10)))     # runs in a new, linked process
...     squares = [x async for _ok, x in Task.async_stream(range(4), lambda n: n * n)]
...     return await Task.await_(t), squares
>>> livelong.run(main)
(45, [0, 1, 4, 9])

* ``Task.async_(fn, *args)`` starts ``fn(*args)`` (sync or async) linked to and
  monitored by the caller and returns a :class:`Task`; the caller must ``await_`` or
  ``yield_`` it.  A crash in the task takes the caller down (the link), as in Elixir:
  use ``Task.Supervisor.async_nolink`` when the caller should survive it.
* ``Task.await_(task, timeout=5.0)`` returns the result, or raises ``Exit`` with the
  task's exit reason or ``("timeout", context)``.  After a timeout the task keeps
  running (the caller usually exits, and the link stops it; or use ``shutdown``).
* ``Task.yield_(task, timeout=5.0)`` returns ``("ok", result)``, ``("exit", reason)``, or
  ``None`` if nothing came in time (then yield again, or ``shutdown``).
* ``Task.shutdown(task, timeout=5.0)`` unlinks and stops the task; returns what
  ``yield_`` would if the result (or a crash) came first, else ``None``.
* ``Task.start(fn, *args)`` is fire-and-forget (not linked); returns the pid.
* ``Task.async_stream(iterable, fn, max_concurrency=..., ordered=True, timeout=5.0,
  on_timeout="exit")`` is an async iterator of ``("ok", result)`` (``("exit",
  "timeout")`` for a task killed with ``on_timeout="kill_task"``).  ``timeout`` is how
  long it waits without any result.  Leaving the loop early leaves the tasks running:
  use ``async with Task.async_stream(...) as results:`` to have them stopped.

A result comes back as the message ``(task.ref, result)``, ``task.ref`` being the
caller's monitor of the task: a GenServer that starts tasks can handle those messages
and the ``("DOWN", task.ref, ...)`` in ``handle_info`` instead of awaiting.
"""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Generic, TypeVar, overload

from .._core import ANY, Exit, Pid, Ref, demonitor, link, monitor, receive, send, spawn, spawn_link
from .._core import self as _self
from ..lowlevel import monotonic
from ._child_spec import ChildSpec
from ._dynamic_supervisor import DynamicSupervisor
from ._gen_server import CallContext, _reply, reply_or_down, take_waiting
from ._seconds import shutdown_arg, timeout_arg
from ._supervisor import shutdown_child

__all__ = ["Task", "TaskSupervisor"]

_GO = "$task_go"

T = TypeVar("T")
R = TypeVar("R")  # the static methods' own (a class's T would bind to Task's)


async def _task_body(fn: Callable[..., Any], args: tuple[Any, ...], wait_go: bool) -> Any:
    to = None
    if wait_go:
        _, owner, tag = await receive((_GO, ANY, ANY))
        to = (owner, tag)
    return await _run(fn, args, to)


async def _supervised_body(fn: Callable[..., Any], args: tuple[Any, ...], owner: Pid) -> Any:
    """A task started by a Task.Supervisor for ``owner``: it waits for the owner's go,
    which comes only after the supervisor's reply.  The owner may die (or give up)
    before that, so the task watches it and exits with ``("shutdown", reason)`` when the
    owner goes down instead of waiting under the supervisor forever."""
    mref = monitor(owner)
    msg = await receive((_GO, owner, ANY), ("DOWN", mref, ANY, ANY, ANY))
    if msg[0] == "DOWN":
        raise Exit(("shutdown", msg[4]))
    demonitor(mref, flush=True)
    return await _run(fn, args, (owner, msg[2]))


async def _run(fn: Callable[..., Any], args: tuple[Any, ...], to: Any) -> None:
    result = fn(*args)
    if hasattr(result, "__await__"):
        result = await result
    if to is not None:
        _reply(to, result)


class Task(Generic[T]):
    """A running task: ``pid``, ``ref`` (the owner's monitor, also the reply tag) and
    ``owner`` (the only process that may await it).  The static methods are the
    ``Task`` API (see the module docs).  For type checkers a ``Task[T]`` gives a ``T``:
    ``Task.async_(fn)`` of an ``fn`` returning ``T`` (or an awaitable of ``T``) is a
    ``Task[T]``, and ``Task.await_`` of it returns ``T``."""

    __slots__ = ("pid", "ref", "owner")

    Supervisor: Any  # Task.Supervisor, set below

    def __init__(self, pid: Pid, ref: Ref, owner: Pid) -> None:
        self.pid = pid
        self.ref = ref
        self.owner = owner

    def __repr__(self) -> str:
        return f"Task(pid={self.pid!r}, ref={self.ref!r}, owner={self.owner!r})"

    # --- starting -----------------------------------------------------------------------
    @overload
    @staticmethod
    def async_(fn: Callable[..., Awaitable[R]], /, *args: Any, **kwargs: Any) -> Task[R]: ...
    @overload
    @staticmethod
    def async_(fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> Task[R]: ...
    @staticmethod
    def async_(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Task[Any]:
        """Run ``fn(*args, **kwargs)`` in a new process linked to and monitored by the
        caller."""
        _check_fn(fn, "Task.async_")
        fn = _bind(fn, kwargs)
        me = _self()
        pid = spawn_link(_task_body, fn, args, True)
        ref = monitor(pid, alias="demonitor")
        send(pid, (_GO, me, ref))
        return Task(pid, ref, me)

    @staticmethod
    def start(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Pid:
        """Run ``fn(*args, **kwargs)`` for its side effects, not linked; returns the pid."""
        _check_fn(fn, "Task.start")
        fn = _bind(fn, kwargs)
        return spawn(_task_body, fn, args, False)

    @staticmethod
    def start_link(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Pid:
        """Like :meth:`start`, linked to the caller (for supervision trees)."""
        _check_fn(fn, "Task.start_link")
        fn = _bind(fn, kwargs)
        return spawn_link(_task_body, fn, args, False)

    @staticmethod
    def child_spec(fn: Callable[..., Any], *args: Any, id: Any = None, **opts: Any) -> ChildSpec:
        """A temporary worker running ``fn(*args)`` (``Task.start_link``)."""
        _check_fn(fn, "Task.child_spec")
        fields: dict[str, Any] = {"restart": "temporary", "shutdown": 5.0}
        fields.update(opts)
        return ChildSpec(Task if id is None else id, (Task.start_link, (fn, *args)), **fields)

    # --- results ------------------------------------------------------------------------
    @staticmethod
    async def await_(task: Task[R], timeout: float | None = 5.0) -> R:
        """The task's result; raises ``Exit`` with its exit reason, or with
        ``("timeout", context)`` after ``timeout`` seconds."""
        _check_owner(task, "Task.await_")
        timeout = timeout_arg(timeout, "Task.await_: timeout")
        ref = task.ref
        try:
            msg = await receive(reply_or_down(ref), timeout=timeout, since=ref)
        except TimeoutError:
            ctx = CallContext("Task.await_", task, None, timeout)
            demonitor(ref, flush=True)
            raise Exit(("timeout", ctx), ctx) from None
        if len(msg) == 2:
            demonitor(ref, flush=True)
            result: R = msg[1]
            return result
        raise Exit(msg[4], CallContext("Task.await_", task, None, timeout))

    @staticmethod
    async def yield_(task: Task[R], timeout: float | None = 5.0) -> tuple[str, Any] | None:
        """``("ok", result)``, ``("exit", reason)``, or None if nothing within ``timeout``
        (the task keeps running; yield again or shut it down)."""
        _check_owner(task, "Task.yield_")
        timeout = timeout_arg(timeout, "Task.yield_: timeout")
        ref = task.ref
        try:
            msg = await receive(reply_or_down(ref), timeout=timeout, since=ref)
        except TimeoutError:
            return None
        if len(msg) == 2:
            demonitor(ref, flush=True)
            return ("ok", msg[1])
        return ("exit", msg[4])

    @staticmethod
    async def await_many(tasks: list[Task[Any]], timeout: float | None = 5.0) -> list[Any]:
        """The results of all ``tasks``, in order, within ``timeout`` seconds in all;
        raises ``Exit`` as :meth:`await_` does for the first task that fails or is
        not done in time."""
        tasks = list(tasks)
        for t in tasks:
            _check_owner(t, "Task.await_many")
        timeout = timeout_arg(timeout, "Task.await_many: timeout")
        deadline = None if timeout is None else monotonic() + timeout
        out = []
        for t in tasks:
            left = None if deadline is None else max(0.0, deadline - monotonic())
            out.append(await Task.await_(t, left))
        return out

    @staticmethod
    async def yield_many(
        tasks: list[Task[Any]], timeout: float | None = 5.0
    ) -> list[tuple[str, Any] | None]:
        """Wait up to ``timeout`` seconds in all; for each task, in order, what
        :meth:`yield_` answers: ``("ok", result)``, ``("exit", reason)`` or None (still
        running: yield again or shut it down)."""
        tasks = list(tasks)
        for t in tasks:
            _check_owner(t, "Task.yield_many")
        timeout = timeout_arg(timeout, "Task.yield_many: timeout")
        deadline = None if timeout is None else monotonic() + timeout
        out = []
        for t in tasks:
            left = None if deadline is None else max(0.0, deadline - monotonic())
            out.append(await Task.yield_(t, left))
        return out

    @staticmethod
    async def shutdown(task: Task[Any], timeout: float | str = 5.0) -> tuple[str, Any] | None:
        """Unlink and stop the task (``"shutdown"``, then ``"kill"`` after ``timeout``;
        ``"brutal_kill"`` kills at once).  Returns ``("ok", result)`` if the result came
        before it stopped, ``("exit", reason)`` if it died of something else (also when
        it had crashed before the call), else None."""
        _check_owner(task, "Task.shutdown")
        timeout = shutdown_arg(timeout, "Task.shutdown: timeout")
        pid, ref = task.pid, task.ref
        # it died already (a crash, say): this DOWN has the real reason
        down = take_waiting(("DOWN", ref, ANY, ANY, ANY))
        # monitors on its own (the task's monitor may be gone after an await_ timeout),
        # unlinks, and takes the EXIT of the link a trapping owner may have
        reason = await shutdown_child(pid, timeout, "Task.shutdown")
        if down is not None:
            reason = down[4]
        else:
            demonitor(ref, flush=True)
        reply = take_waiting((ref, ANY))
        if reply is not None:
            return ("ok", reply[1])
        if reason in ("shutdown", "killed", "noproc", "normal"):
            return None
        return ("exit", reason)

    # --- streams ------------------------------------------------------------------------
    @staticmethod
    def async_stream(
        iterable: Any,
        fn: Callable[..., Any],
        *,
        max_concurrency: int | None = None,
        ordered: bool = True,
        timeout: float | None = 5.0,
        on_timeout: str = "exit",
    ) -> TaskStream:
        """Run ``fn(item)`` for each item, at most ``max_concurrency`` (default: the CPU
        count) at a time, each in a linked task; an async iterator of
        ``("ok", result)``.  See the module docs."""
        return TaskStream(
            iterable, fn, max_concurrency, ordered, timeout, on_timeout, _linked_starter
        )


def _linked_starter(fn: Callable[..., Any], item: Any) -> Task[Any]:
    return Task.async_(fn, item)


def _bind(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Callable[..., Any]:
    """``fn`` with ``kwargs`` bound, so the task runs ``fn(*args, **kwargs)``."""
    return functools.partial(fn, **kwargs) if kwargs else fn


def _check_fn(fn: Any, what: str) -> None:
    if not callable(fn):
        raise TypeError(f"{what}: expected a function to run, got {fn!r}")


def _check_owner(task: Any, what: str) -> None:
    if not isinstance(task, Task):
        raise TypeError(f"{what}: expected a Task, got {task!r}")
    me = _self()
    if task.owner != me:
        raise ValueError(
            f"{what}: {task!r} belongs to {task.owner!r}; only its owner can wait for it, "
            f"not {me!r}"
        )


class TaskStream:
    """The async iterator behind ``Task.async_stream`` (also an async context manager
    that stops the tasks still running when the block ends)."""

    def __init__(
        self,
        iterable: Any,
        fn: Callable[..., Any],
        max_concurrency: int | None,
        ordered: bool,
        timeout: float | None,
        on_timeout: str,
        starter: Callable[[Callable[..., Any], Any], Task[Any] | Any],
        what: str = "Task.async_stream",
    ) -> None:
        _check_fn(fn, what)
        timeout = timeout_arg(timeout, f"{what}: timeout")
        if max_concurrency is None:
            max_concurrency = os.cpu_count() or 1
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int):
            raise ValueError(
                f"Task.async_stream: max_concurrency must be an int, got {max_concurrency!r}"
            )
        if max_concurrency < 1:
            raise ValueError(
                f"Task.async_stream: max_concurrency must be >= 1, got {max_concurrency}"
            )
        if on_timeout not in ("exit", "kill_task"):
            raise ValueError(
                f"Task.async_stream: on_timeout must be 'exit' or 'kill_task', got {on_timeout!r}"
            )
        self._fn = fn
        self._max = max_concurrency
        self._ordered = ordered
        self._timeout = timeout
        self._on_timeout = on_timeout
        self._starter = starter
        self._aiter: AsyncIterator[Any] | None = None
        self._iter: Any = None
        if hasattr(iterable, "__aiter__"):
            self._aiter = iterable.__aiter__()
        else:
            self._iter = iter(iterable)
        self._exhausted = False
        self._running: dict[Ref, tuple[int, Task[Any]]] = {}
        self._done: dict[int, tuple[str, Any]] = {}  # ordered: results waiting their turn
        self._next_in = 0
        self._next_out = 0
        self._owner: Pid | None = None

    def __aiter__(self) -> TaskStream:
        return self

    async def __aenter__(self) -> TaskStream:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def _fill(self) -> None:
        while not self._exhausted and len(self._running) < self._max:
            try:
                if self._aiter is not None:
                    item = await self._aiter.__anext__()
                else:
                    item = next(self._iter)
            except (StopIteration, StopAsyncIteration):
                self._exhausted = True
                return
            task: Any = self._starter(self._fn, item)
            if hasattr(task, "__await__"):
                task = await task
            self._running[task.ref] = (self._next_in, task)
            self._next_in += 1

    async def __anext__(self) -> tuple[str, Any]:
        if self._owner is None:
            self._owner = _self()
        while True:
            done = self._done
            if self._ordered:
                if self._next_out in done:
                    self._next_out += 1
                    return done.pop(self._next_out - 1)
            elif done:
                return done.pop(next(iter(done)))
            await self._fill()
            if not self._running:
                if self._ordered and self._done:  # cannot happen: indexes are contiguous
                    continue
                raise StopAsyncIteration
            running = self._running
            try:
                msg = await receive(
                    self._mine,
                    timeout=self._timeout,
                )
            except TimeoutError:
                if self._on_timeout == "exit":
                    await self.aclose()
                    ctx = CallContext("Task.async_stream", self._fn, None, self._timeout)
                    raise Exit(("timeout", ctx), ctx) from None
                for ref, (index, task) in list(running.items()):
                    await _kill(task)
                    del running[ref]
                    self._done[index] = ("exit", "timeout")
                continue
            if len(msg) == 2:
                index, task = running.pop(msg[0])
                demonitor(task.ref, flush=True)
                result: tuple[str, Any] = ("ok", msg[1])
            else:
                index, task = running.pop(msg[1])
                result = ("exit", msg[4])
            if not self._ordered:
                return result
            self._done[index] = result

    def _mine(self, m: Any) -> bool:
        """Pattern: a result or DOWN of one of this stream's running tasks."""
        if type(m) is not tuple:
            return False
        n = len(m)
        if n == 2:
            return type(m[0]) is Ref and m[0] in self._running
        return n == 5 and m[0] == "DOWN" and type(m[1]) is Ref and m[1] in self._running

    async def aclose(self) -> None:
        """Stop the tasks still running and forget their results."""
        for _ref, (_i, task) in list(self._running.items()):
            await _kill(task)
        self._running.clear()
        self._exhausted = True


async def _kill(task: Task[Any]) -> None:
    await shutdown_child(task.pid, "brutal_kill", "Task.async_stream")
    demonitor(task.ref, flush=True)
    take_waiting((task.ref, ANY))


# ----------------------------------------------------------------------------------
# Task.Supervisor


def _start_supervised(fn: Callable[..., Any], args: tuple[Any, ...], owner: Pid | None) -> Pid:
    """The start of a Task.Supervisor child: an owner's task waits for its go (see
    :func:`_supervised_body`); a fire-and-forget one runs at once."""
    if owner is None:
        return spawn_link(_task_body, fn, args, False)
    return spawn_link(_supervised_body, fn, args, owner)


class TaskSupervisor:
    """``Task.Supervisor``: a :class:`DynamicSupervisor` of tasks, so that tasks are
    part of a supervision tree and a crashing task need not take its caller down.

    >>> import livelong
    >>> from livelong import Task
    >>> async def main():
    ...     sup = await Task.Supervisor.start_link()
    ...     t = await Task.Supervisor.async_nolink(sup, lambda: 1 / 0)
    ...     return await Task.yield_(t)          # the caller survives the crash
    >>> livelong.run(main)[0]                    # doctest: +ELLIPSIS
    'exit'
    """

    @staticmethod
    async def start_link(
        *, name: Any = None, max_children: int | None = None, timeout: float | None = None
    ) -> Pid:
        """Start a task supervisor linked to the caller."""
        return await DynamicSupervisor.start_link(
            name=name, max_children=max_children, timeout=timeout
        )

    @staticmethod
    def child_spec(
        *, id: Any = None, name: Any = None, max_children: int | None = None
    ) -> ChildSpec:
        """Spec to put a task supervisor in a supervision tree."""
        spec = DynamicSupervisor.child_spec(id=id, name=name, max_children=max_children)
        return spec.replace(id=id if id is not None else (name or TaskSupervisor))

    @staticmethod
    async def _spawn(
        sup: Any, fn: Callable[..., Any], args: tuple[Any, ...], linked: bool, what: str
    ) -> Task[Any]:
        _check_fn(fn, what)
        me = _self()
        spec = ChildSpec(
            TaskSupervisor, (_start_supervised, (fn, args, me)), "temporary", 5.0, "worker"
        )
        pid = await DynamicSupervisor.start_child(sup, spec)
        assert pid is not None
        if linked:
            link(pid)
        ref = monitor(pid, alias="demonitor")
        send(pid, (_GO, me, ref))
        return Task(pid, ref, me)

    @staticmethod
    async def async_(sup: Any, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Task[Any]:
        """``Task.async_`` under ``sup``: the task is linked to the caller too."""
        _check_fn(fn, "Task.Supervisor.async_")
        fn = _bind(fn, kwargs)
        return await TaskSupervisor._spawn(sup, fn, args, True, "Task.Supervisor.async_")

    @staticmethod
    async def async_nolink(
        sup: Any, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Task[Any]:
        """A task under ``sup``, monitored but not linked: if it crashes the caller gets
        ``("DOWN", task.ref, "process", pid, reason)`` (or an exit from ``await_``)."""
        _check_fn(fn, "Task.Supervisor.async_nolink")
        fn = _bind(fn, kwargs)
        return await TaskSupervisor._spawn(sup, fn, args, False, "Task.Supervisor.async_nolink")

    @staticmethod
    async def start_child(
        sup: Any, fn: Callable[..., Any], /, *args: Any, restart: str = "temporary", **kwargs: Any
    ) -> Pid:
        """A fire-and-forget task under ``sup``, running ``fn(*args, **kwargs)``; returns
        its pid."""
        _check_fn(fn, "Task.Supervisor.start_child")
        fn = _bind(fn, kwargs)
        spec = ChildSpec(TaskSupervisor, (_start_supervised, (fn, args, None)), restart, 5.0)
        pid = await DynamicSupervisor.start_child(sup, spec)
        assert pid is not None
        return pid

    @staticmethod
    async def children(sup: Any) -> list[Pid]:
        """The pids of the tasks running under ``sup``."""
        return [c.pid for c in await DynamicSupervisor.which_children(sup)]  # type: ignore[misc]

    @staticmethod
    async def terminate_child(sup: Any, pid: Pid) -> None:
        """Stop one task of ``sup``."""
        await DynamicSupervisor.terminate_child(sup, pid)

    @staticmethod
    def async_stream(sup: Any, iterable: Any, fn: Callable[..., Any], **options: Any) -> TaskStream:
        """``Task.async_stream`` with the tasks under ``sup`` (linked to the caller)."""
        return _stream(sup, iterable, fn, options, True)

    @staticmethod
    def async_stream_nolink(
        sup: Any, iterable: Any, fn: Callable[..., Any], **options: Any
    ) -> TaskStream:
        """Like :meth:`async_stream` with unlinked tasks: a crash is an
        ``("exit", reason)`` item instead of an exit of the caller."""
        return _stream(sup, iterable, fn, options, False)


def _stream(sup: Any, iterable: Any, fn: Any, options: dict[str, Any], linked: bool) -> TaskStream:
    async def starter(f: Callable[..., Any], item: Any) -> Task[Any]:
        return await TaskSupervisor._spawn(sup, f, (item,), linked, "Task.Supervisor.async_stream")

    unknown = set(options) - {"max_concurrency", "ordered", "timeout", "on_timeout"}
    if unknown:
        raise TypeError(f"Task.Supervisor.async_stream: unknown options {sorted(unknown)}")
    return TaskStream(
        iterable,
        fn,
        options.get("max_concurrency"),
        options.get("ordered", True),
        options.get("timeout", 5.0),
        options.get("on_timeout", "exit"),
        starter,
        "Task.Supervisor.async_stream" if linked else "Task.Supervisor.async_stream_nolink",
    )


Task.Supervisor = TaskSupervisor
