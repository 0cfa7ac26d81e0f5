"""Timers: ``send_after``, ``read_timer``, ``cancel_timer``, on the node's loop clock.

Each works from a process, from plain asyncio code in the node's thread and from any
other thread, with the same answers.  A timer is recorded in ``node.timers`` by the
thread that sets it, at once, with its deadline on the loop's clock; the loop's
handle that fires it is added in the node's thread (at once there, a moment later
from another thread).  Whoever takes the record out of ``node.timers`` first
decides: the timer firing (it sends), or ``cancel_timer`` (it returns the time that
was left, and nothing is sent).  Taking a key out of a dict is atomic, so no lock is
needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _scheduler as sched
from ._args import seconds_arg
from ._ids import Pid, Ref
from ._mfa import internal
from ._scheduler import current_node

if TYPE_CHECKING:
    import asyncio

    from ._node import Node

internal(__file__)

__all__ = ["send_after", "read_timer", "cancel_timer"]


class _Timer:
    """A ``send_after`` timer: when it is due (on the loop's clock) and, once the
    node's thread has armed it, the loop's handle (None before)."""

    __slots__ = ("when", "handle")

    def __init__(self, when: float) -> None:
        self.when = when
        self.handle: asyncio.TimerHandle | None = None

    def cancel(self) -> None:
        """Drop the loop's handle (in the node's thread; ``Node.detach`` calls it)."""
        h = self.handle
        if h is not None:
            self.handle = None
            h.cancel()


def send_after(dest: Pid | str, msg: Any, seconds: float) -> Ref:
    """Send ``msg`` to ``dest`` after ``seconds``; returns a timer reference.

    A registered name is looked up when the timer fires (a name that is not
    registered then: the message is dropped, as in Erlang)."""
    node = current_node()
    seconds = seconds_arg(seconds, "send_after: seconds")
    if not isinstance(dest, (Pid, str)):
        raise TypeError(f"send_after: expected a Pid or a registered name, got {dest!r}")
    ref = Ref()
    timer = _Timer(node.loop.time() + seconds)
    node.timers[ref] = timer

    def fire() -> None:
        if node.timers.pop(ref, None) is not timer:
            return  # cancelled meanwhile, from another thread
        timer.handle = None
        try:
            sched.send(dest, msg)
        except ValueError:
            pass  # a name that is no longer registered: dropped, as in Erlang

    if sched._get_ident() == node.thread_id:
        timer.handle = node.loop.call_at(timer.when, fire)
    else:
        try:
            node.loop.call_soon_threadsafe(_arm, node, ref, timer, fire)
        except RuntimeError:  # the loop closed under us: the node has just stopped
            node.timers.pop(ref, None)
            raise RuntimeError(f"send_after: node {node.name} is stopped") from None
    return ref


def _arm(node: Node, ref: Ref, timer: _Timer, fire: Any) -> None:
    """In the node's thread: arm a timer set from another thread, unless it was
    cancelled before it got here."""
    if node.timers.get(ref) is timer:
        timer.handle = node.loop.call_at(timer.when, fire)


def read_timer(ref: Ref) -> float | bool:
    """Seconds left on a timer, or False if it fired or was cancelled."""
    _check_ref(ref, "read_timer")
    node = current_node()
    timer = node.timers.get(ref)
    if timer is None:
        return False
    return max(0.0, float(timer.when - node.loop.time()))


def _check_ref(ref: Any, what: str) -> None:
    if not isinstance(ref, Ref):
        raise TypeError(f"{what}: expected the Ref that send_after returned, got {ref!r}")


def cancel_timer(ref: Ref) -> float | bool:
    """Cancel a ``send_after`` timer; returns the seconds it had left, or False if it
    already fired or was cancelled.  Once it returns a number, the message will not
    be sent, whichever thread called it."""
    _check_ref(ref, "cancel_timer")
    node = current_node()
    timer = node.timers.pop(ref, None)
    if timer is None:
        return False
    left = max(0.0, float(timer.when - node.loop.time()))
    if sched._get_ident() == node.thread_id:
        timer.cancel()
    else:  # the loop's handles are the node thread's to touch
        try:
            node.loop.call_soon_threadsafe(timer.cancel)
        except RuntimeError:
            pass  # the node has just stopped: its loop and its timers are gone
    return left
