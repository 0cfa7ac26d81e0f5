"""Exit signals sent by a process or from another thread: ``exit`` and ``Process.exit``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _remote
from . import _scheduler as sched
from ._ids import Pid
from ._lifecycle import exit_signal, kill
from ._mfa import internal
from ._process import Exit, Proc
from ._scheduler import caller, current_node, proc_of
from ._watchdog import stop_from_thread

if TYPE_CHECKING:
    from ._node import Node

internal(__file__)

__all__ = ["exit", "send_exit"]


def exit(*args: Any) -> None:
    """``exit(reason)`` ends the calling process with ``reason``;
    ``exit(pid, reason)`` sends the exit signal ``reason`` to ``pid``."""
    if len(args) == 1:
        raise Exit(args[0])
    if len(args) != 2:
        raise TypeError("exit() takes (reason) or (pid, reason)")
    send_exit(args[0], args[1])


def _resolve(dest: Any, what: str) -> Pid | None:
    if isinstance(dest, Pid):
        return dest
    if isinstance(dest, str):
        return current_node().names.get(dest)
    raise TypeError(f"{what}: expected a Pid or a registered name (str), got {dest!r}")


def send_exit(pid: Pid | str, reason: Any) -> bool:
    """Send the exit signal ``reason`` to ``pid`` (``Process.exit``): from a process,
    from plain asyncio code in the node's thread, or from any other thread."""
    node = current_node()
    target = _resolve(pid, "Process.exit")
    if target is None:
        return True
    proc = proc_of(target)
    cur = caller()
    sender = cur if cur is not None else target
    if proc is None:
        if target.node != node.name:
            _remote.remote.exit(sender, target, reason)
        return True
    if cur is None and not sched.on_node_thread():
        if reason == "kill":
            _kill_from_thread(node, proc)
        else:
            node.loop.call_soon_threadsafe(exit_signal, proc, sender, reason, False)
        return True
    if cur is None and reason == "normal":
        return True
    exit_signal(proc, sender, reason, linked=False)
    return True


def _kill_from_thread(node: Node, proc: Proc) -> None:
    """``Process.exit(proc, "kill")`` from a thread that is not the node's: queued to
    the node's loop as any signal from another thread, and, should the process hold
    the node's thread meanwhile, interrupted there (see ``_watchdog``)."""
    node.loop.call_soon_threadsafe(kill, proc, "killed")
    stop_from_thread(node, proc)
