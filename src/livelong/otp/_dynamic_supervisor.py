"""DynamicSupervisor: a supervisor that starts with no children and adds them on demand.

>>> import livelong
>>> from livelong import DynamicSupervisor, GenServer
>>> class Session(GenServer):
...     pass
>>> async def main():
...     sup = await DynamicSupervisor.start_link(max_children=2)
...     a = await DynamicSupervisor.start_child(sup, (Session, "alice"))
...     b = await DynamicSupervisor.start_child(sup, (Session, "bob"))
...     try:
...         await DynamicSupervisor.start_child(sup, (Session, "carol"))
...     except livelong.SupervisorError as e:
...         full = e.reason
...     await DynamicSupervisor.terminate_child(sup, a)
...     return full, await DynamicSupervisor.count_children(sup)
>>> livelong.run(main)
('max_children', {'specs': 1, 'active': 1, 'supervisors': 0, 'workers': 1})

Children are known by pid; the strategy is always ``one_for_one`` and restarts follow
the same :data:`~livelong.otp._supervisor.RESTART` table as :class:`Supervisor`, with
the same ``max_restarts``/``max_seconds`` intensity.  ``extra_arguments`` are put in
front of the arguments of every child's ``(fn, args)`` start (or passed to a callable
start).  When the supervisor stops, all children are asked to stop at the same time,
each killed after its own shutdown time.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from .._core import Pid, Process, Ref, monitor, monotonic, receive, send, unlink
from .._core import self as _self
from ._child_spec import ChildSpec, normalize_child
from ._gen_server import GenServer, NoReply, Reply, Stop, exit_reason, format_term
from ._seconds import timeout_arg
from ._supervisor import (
    RESTART,
    ChildInfo,
    SupervisorError,
    _count,
    _expected_shutdown,
    _request,
    _State,
    reason_kind,
    start_child_process,
    start_failure,
    stop_child_process,
    validate_flags,
)

__all__ = ["DynamicSupervisor"]

logger = logging.getLogger("livelong.supervisor")


class _DynState(_State):
    __slots__ = ("by_pid_map", "max_children", "extra", "waiting")

    def __init__(
        self,
        max_restarts: int,
        max_seconds: float,
        desc: str,
        max_children: int | None,
        extra: tuple[Any, ...],
    ) -> None:
        super().__init__("one_for_one", max_restarts, max_seconds, desc)
        self.by_pid_map: dict[Pid, ChildSpec] = {}
        self.max_children = max_children
        self.extra = extra
        self.waiting: deque[ChildSpec] = deque()  # failed restarts, to try again


class _DynamicServer(GenServer[Any]):
    def init(self, arg: Any) -> Any:
        max_restarts, max_seconds, max_children, extra = arg
        Process.flag("trap_exit", True)
        desc = f"DynamicSupervisor {_self()!r}"
        state = _DynState(max_restarts, max_seconds, desc, max_children, tuple(extra))
        self._livelong_stash = state.stash
        return state

    async def handle_call(self, request: Any, from_: Any, state: _DynState) -> Any:
        op = request[0]
        children = state.by_pid_map
        if op == "start_child":
            spec: ChildSpec = request[1]
            if state.max_children is not None and len(children) >= state.max_children:
                return Reply(
                    (
                        "error",
                        SupervisorError(f"{state.desc}: max_children reached", "max_children"),
                    ),
                    state,
                )
            try:
                pid = await start_child_process(state, spec, state.extra)
            except Exception as e:
                return Reply(("error", start_failure(state.desc, spec.id, e)), state)
            if pid is not None:
                children[pid] = spec
            return Reply(("ok", pid), state)
        if op == "terminate_child":
            pid = request[1]
            found = children.pop(pid, None) if isinstance(pid, Pid) else None
            if found is None:
                return Reply(
                    (
                        "error",
                        SupervisorError(f"{state.desc}: {pid!r} is not a child", "not_found"),
                    ),
                    state,
                )
            reason = await stop_child_process(state, pid, found.shutdown)
            if not _expected_shutdown(reason, found.shutdown):
                logger.error(
                    "%s: child %r shut down with reason %s", state.desc, pid, format_term(reason)
                )
            return Reply(("ok", None), state)
        if op == "which_children":
            rows = [ChildInfo(None, pid, s.type, s.modules) for pid, s in children.items()]
            return Reply(("ok", rows), state)
        if op == "count_children":
            return Reply(("ok", _count([_Row(s) for s in children.values()])), state)
        raise ValueError(f"{state.desc}: unknown request {request!r}")

    async def handle_info(self, msg: Any, state: _DynState) -> Any:
        pid = state.exited(msg)
        if pid is not None:
            spec = state.by_pid_map.pop(pid, None)
            if spec is None:
                return NoReply(state)
            reason = msg[2]
            restart = RESTART[spec.restart][reason_kind(reason)]
            if reason_kind(reason) == "abnormal":
                logger.error(
                    "%s: child %r exited: %s; %s",
                    state.desc,
                    msg[1],
                    format_term(reason, 500),
                    "restarting" if restart else f"not restarted ({spec.restart})",
                )
            if not restart:
                return NoReply(state)
            return await self._restart(spec, state)
        if type(msg) is tuple and len(msg) == 3 and msg[0] == "EXIT":
            return NoReply(state)
        if msg == "$dyn_try_again":
            if not state.waiting:
                return NoReply(state)
            spec = state.waiting.popleft()
            return await self._restart(spec, state)
        return super().handle_info(msg, state)

    async def _restart(self, spec: ChildSpec, state: _DynState) -> Any:
        if not state.add_restart():
            logger.error(
                "%s: reached max restart intensity (%d restarts in %s s); shutting down",
                state.desc,
                state.max_restarts,
                state.max_seconds,
            )
            return Stop("shutdown", state)
        try:
            pid = await start_child_process(state, spec, state.extra)
        except Exception as e:
            logger.error(
                "%s: child %r failed to restart: %s; trying again",
                state.desc,
                spec.id,
                format_term(exit_reason(e), 500),
            )
            state.waiting.append(spec)
            send(_self(), "$dyn_try_again")
            return NoReply(state)
        if pid is not None:
            state.by_pid_map[pid] = spec
        return NoReply(state)

    async def terminate(self, reason: Any, state: Any) -> None:
        if not isinstance(state, _DynState):
            return
        await _stop_concurrently(state)


class _Row:
    __slots__ = ("spec",)

    def __init__(self, spec: ChildSpec) -> None:
        self.spec = spec

    running = True


async def _stop_concurrently(state: _DynState) -> None:
    """Ask every child to stop at once; kill each one its shutdown time later.

    Linear in the children: the deadlines are sorted once (already in order when the
    children have one shutdown time) and passed in order, and every message is taken
    as it comes -- a child's DOWN is crossed off, anything else goes to the stash -- so
    no receive scans the mailbox."""
    children = state.by_pid_map
    state.by_pid_map = {}
    state.drain()
    pending: dict[Ref, tuple[Pid, ChildSpec]] = {}
    deadlines: list[tuple[float, int, Ref]] = []  # (when, order, mref)
    now = monotonic()
    for pid, spec in children.items():
        mref = monitor(pid)
        unlink(pid)
        shutdown = spec.shutdown
        if shutdown == "brutal_kill":
            Process.exit(pid, "kill")
        else:
            Process.exit(pid, "shutdown")
            if shutdown != "infinity":
                deadlines.append((now + shutdown, len(deadlines), mref))
        pending[mref] = (pid, spec)
    deadlines.sort()
    next_ = 0  # deadlines before it have passed, or their children are down
    stash = state.stash
    while pending:
        while next_ < len(deadlines) and deadlines[next_][2] not in pending:
            next_ += 1  # that child is down already
        wait = None
        if next_ < len(deadlines):
            wait = deadlines[next_][0] - monotonic()
            if wait <= 0:  # kill the next one that is late
                pid, spec = pending[deadlines[next_][2]]
                next_ += 1
                logger.warning(
                    "%s: child %r did not stop within %s s; killing it",
                    state.desc,
                    pid,
                    spec.shutdown,
                )
                Process.exit(pid, "kill")
                continue
        try:
            m = await receive(timeout=wait)
        except TimeoutError:
            continue
        if type(m) is tuple and len(m) == 5 and m[0] == "DOWN" and type(m[1]) is Ref:
            entry = pending.pop(m[1], None)
            if entry is not None:
                pid, spec = entry
                reason = m[4]
                if not _expected_shutdown(reason, spec.shutdown) and reason not in (
                    "killed",
                    "noproc",
                ):
                    logger.error(
                        "%s: child %r shut down with reason %s",
                        state.desc,
                        pid,
                        format_term(reason),
                    )
                continue
        stash.append(m)
    # the EXITs of children that died before they were unlinked
    kept = [m for m in stash if not _exit_of(m, children)]
    stash.clear()
    stash.extend(kept)


def _exit_of(m: Any, children: dict[Pid, ChildSpec]) -> bool:
    return (
        type(m) is tuple
        and len(m) == 3
        and m[0] == "EXIT"
        and isinstance(m[1], Pid)
        and m[1] in children
    )


class DynamicSupervisor:
    """A supervisor whose children are added at run time (see the module docs)."""

    @staticmethod
    async def start_link(
        *,
        name: Any = None,
        strategy: str = "one_for_one",
        max_restarts: int = 3,
        max_seconds: float = 5.0,
        max_children: int | None = None,
        extra_arguments: tuple[Any, ...] | list[Any] = (),
        timeout: float | None = None,
    ) -> Pid:
        """Start an empty dynamic supervisor linked to the caller; returns its pid."""
        timeout = timeout_arg(timeout, "DynamicSupervisor.start_link: timeout")
        arg = _check(strategy, max_restarts, max_seconds, max_children, extra_arguments)
        pid = await _DynamicServer.start_link(arg, name=name, timeout=timeout)
        assert pid is not None
        return pid

    @staticmethod
    async def start(
        *,
        name: Any = None,
        strategy: str = "one_for_one",
        max_restarts: int = 3,
        max_seconds: float = 5.0,
        max_children: int | None = None,
        extra_arguments: tuple[Any, ...] | list[Any] = (),
        timeout: float | None = None,
    ) -> Pid:
        """Like :meth:`start_link`, not linked to the caller."""
        timeout = timeout_arg(timeout, "DynamicSupervisor.start: timeout")
        arg = _check(strategy, max_restarts, max_seconds, max_children, extra_arguments)
        pid = await _DynamicServer.start(arg, name=name, timeout=timeout)
        assert pid is not None
        return pid

    @staticmethod
    def child_spec(*, id: Any = None, name: Any = None, **options: Any) -> ChildSpec:
        """Spec to put a DynamicSupervisor in a supervision tree."""

        async def start() -> Pid:
            return await DynamicSupervisor.start_link(name=name, **options)

        _check(
            options.get("strategy", "one_for_one"),
            options.get("max_restarts", 3),
            options.get("max_seconds", 5.0),
            options.get("max_children"),
            options.get("extra_arguments", ()),
        )
        return ChildSpec(
            id if id is not None else (name or DynamicSupervisor),
            start,
            "permanent",
            "infinity",
            "supervisor",
            ["DynamicSupervisor"],
        )

    @staticmethod
    async def start_child(sup: Any, spec: Any, timeout: float | None = None) -> Pid | None:
        """Start a child from ``spec`` (any child spec form); returns its pid.  Raises
        :class:`SupervisorError` with reason ``"max_children"`` when full."""
        return await _request(sup, ("start_child", normalize_child(spec)), timeout)  # type: ignore[no-any-return]

    @staticmethod
    async def terminate_child(sup: Any, pid: Pid, timeout: float | None = None) -> None:
        """Stop the child ``pid`` and forget it (``SupervisorError("not_found")`` if it
        is not a child)."""
        await _request(sup, ("terminate_child", pid), timeout)

    @staticmethod
    async def which_children(sup: Any, timeout: float | None = None) -> list[ChildInfo]:
        """``[ChildInfo(None, pid, type, modules), ...]``."""
        return await _request(sup, ("which_children",), timeout)  # type: ignore[no-any-return]

    @staticmethod
    async def count_children(sup: Any, timeout: float | None = None) -> dict[str, int]:
        """``{"specs": n, "active": n, "supervisors": n, "workers": n}``."""
        return await _request(sup, ("count_children",), timeout)  # type: ignore[no-any-return]

    @staticmethod
    async def stop(sup: Any, reason: Any = "normal", timeout: float | None = None) -> None:
        """Stop the supervisor and all its children."""
        await GenServer.stop(sup, reason, timeout)


def _check(
    strategy: Any, max_restarts: Any, max_seconds: Any, max_children: Any, extra: Any
) -> tuple[Any, ...]:
    what = "DynamicSupervisor"
    if strategy != "one_for_one":
        raise ValueError(f"{what}: strategy must be 'one_for_one', got {strategy!r}")
    max_seconds = validate_flags(strategy, max_restarts, max_seconds, what)
    if max_children is not None and (
        isinstance(max_children, bool) or not isinstance(max_children, int) or max_children < 0
    ):
        raise ValueError(f"{what}: max_children must be an int >= 0 or None, got {max_children!r}")
    if not isinstance(extra, tuple | list):
        raise ValueError(f"{what}: extra_arguments must be a tuple or list, got {extra!r}")
    return (max_restarts, max_seconds, max_children, tuple(extra))
