"""Timers: ``send_after``, ``read_timer``, ``cancel_timer``, on the node's loop clock."""

from __future__ import annotations

from typing import Any

from . import _scheduler as sched
from ._args import seconds_arg
from ._ids import Pid, Ref
from ._mfa import internal
from ._scheduler import current_node

internal(__file__)

__all__ = ["send_after", "read_timer", "cancel_timer"]


def send_after(dest: Pid | str, msg: Any, seconds: float) -> Ref:
    """Send ``msg`` to ``dest`` after ``seconds``; returns a timer reference."""
    node = current_node()
    seconds = seconds_arg(seconds, "send_after: seconds")
    if not isinstance(dest, (Pid, str)):
        raise TypeError(f"send_after: expected a Pid or a registered name, got {dest!r}")
    ref = Ref()

    def fire() -> None:
        node.timers.pop(ref, None)
        try:
            sched.send(dest, msg)
        except ValueError:
            pass  # a name that is no longer registered: dropped, as in Erlang

    def arm() -> None:
        node.timers[ref] = node.loop.call_later(seconds, fire)

    if sched._get_ident() == node.thread_id:
        arm()
    else:
        node.loop.call_soon_threadsafe(arm)
    return ref


def read_timer(ref: Ref) -> float | bool:
    """Seconds left on a timer, or False if it fired or was cancelled."""
    _check_ref(ref, "read_timer")
    h = current_node().timers.get(ref)
    if h is None:
        return False
    return max(0.0, h.when() - current_node().loop.time())


def _check_ref(ref: Any, what: str) -> None:
    if not isinstance(ref, Ref):
        raise TypeError(f"{what}: expected the Ref that send_after returned, got {ref!r}")


def cancel_timer(ref: Ref) -> float | bool:
    """Cancel a ``send_after`` timer; returns the seconds it had left, or False if it
    already fired or was cancelled."""
    _check_ref(ref, "cancel_timer")
    node = current_node()
    h = node.timers.pop(ref, None)
    if h is None:
        return False
    left = max(0.0, h.when() - node.loop.time())
    h.cancel()
    return left
