"""Erlang's ``:timer``: ``send_interval``, ``apply_after``, ``apply_interval``, ``cancel``.

Each timer is a small process of its own, so a slow function never delays another
timer.  ``send_interval`` and ``apply_interval`` are tied to the caller: they stop when
it exits (and ``send_interval`` also when a destination pid exits), as in Erlang.
Intervals keep to their schedule: the n-th tick is due n intervals after the start,
however long the work of a tick takes.  ``cancel(tref)`` stops a timer; it answers
True if the timer was still pending.

>>> import livelong
>>> from livelong import receive, timer
>>> async def main():
...     tref = timer.send_interval(0.01, livelong.self_pid(), "tick")
...     ticks = [await receive("tick") for _ in range(3)]
...     return ticks, timer.cancel(tref), timer.cancel(tref)
>>> livelong.run(main)
(['tick', 'tick', 'tick'], True, False)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._core import ANY, Pid, Process, monitor, receive, send, send_exit, spawn
from .._core import self as _self
from ..lowlevel import monotonic, seconds_arg

__all__ = ["TRef", "timer"]


class TRef:
    """A timer started by :class:`timer`; pass it to :meth:`timer.cancel`."""

    __slots__ = ("pid",)

    def __init__(self, pid: Pid) -> None:
        self.pid = pid

    def __repr__(self) -> str:
        return f"TRef({self.pid!r})"


async def _run(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    r = fn(*args, **kwargs)
    if hasattr(r, "__await__"):
        await r


async def _after(seconds: float, action: Callable[[], None]) -> None:
    try:
        await receive("$never", timeout=seconds)
    except TimeoutError:
        action()


async def _interval(seconds: float, action: Callable[[], None], watch: tuple[Pid, ...]) -> None:
    refs = [monitor(p) for p in watch]
    due = monotonic()
    while True:
        due += seconds
        try:
            msg = await receive(
                ("DOWN", ANY, "process", ANY, ANY), timeout=max(0.0, due - monotonic())
            )
        except TimeoutError:
            action()
            continue
        if msg[1] in refs:
            return


def _sender(dest: Any, msg: Any) -> Callable[[], None]:
    def fire() -> None:
        try:
            send(dest, msg)
        except ValueError:
            pass  # a name no longer registered: dropped, as in Erlang

    return fire


def _applier(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Callable[[], None]:
    if not callable(fn):
        raise TypeError(f"timer: expected a function to run, got {fn!r}")

    def fire() -> None:
        spawn(_run, fn, args, kwargs)

    return fire


class timer:  # noqa: N801 -- named as Erlang's module
    """Erlang's ``:timer`` functions (see the module docs)."""

    @staticmethod
    def send_after(seconds: float, dest: Any, msg: Any) -> TRef:
        """Send ``msg`` to ``dest`` once, after ``seconds``."""
        seconds = seconds_arg(seconds, "timer.send_after: seconds")
        return TRef(spawn(_after, seconds, _sender(dest, msg)))

    @staticmethod
    def send_interval(seconds: float, dest: Any, msg: Any) -> TRef:
        """Send ``msg`` to ``dest`` every ``seconds`` until cancelled, or until the
        caller (or a destination pid) exits."""
        seconds = seconds_arg(seconds, "timer.send_interval: seconds")
        watch = (_self(),) + ((dest,) if isinstance(dest, Pid) else ())
        return TRef(spawn(_interval, seconds, _sender(dest, msg), watch))

    @staticmethod
    def apply_after(seconds: float, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> TRef:
        """Run ``fn(*args, **kwargs)`` in a new process after ``seconds``."""
        seconds = seconds_arg(seconds, "timer.apply_after: seconds")
        return TRef(spawn(_after, seconds, _applier(fn, args, kwargs)))

    @staticmethod
    def apply_interval(
        seconds: float, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> TRef:
        """Run ``fn(*args, **kwargs)`` in a new process every ``seconds``, until
        cancelled or until the caller exits."""
        seconds = seconds_arg(seconds, "timer.apply_interval: seconds")
        return TRef(spawn(_interval, seconds, _applier(fn, args, kwargs), (_self(),)))

    @staticmethod
    def cancel(tref: TRef) -> bool:
        """Stop the timer; True if it was still pending (so it will not fire again),
        False if it had already fired (a one-shot) or was cancelled."""
        if not isinstance(tref, TRef):
            raise TypeError(f"timer.cancel: expected a TRef, got {tref!r}")
        alive = Process.alive(tref.pid)
        if alive:
            send_exit(tref.pid, "kill")
        return alive
