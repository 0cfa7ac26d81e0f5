"""Exit signals sent by a process or from another thread: ``exit`` and ``Process.exit``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _remote
from . import _scheduler as sched
from ._ids import Pid
from ._lifecycle import exit_signal, kill
from ._mfa import internal
from ._names import resolve
from ._process import Exit, Proc
from ._scheduler import caller, current_node, proc_of
from ._watchdog import stop_from_thread

if TYPE_CHECKING:
    from ._node import Node

internal(__file__)

__all__ = ["exit", "outside_pid", "send_exit"]


def exit(*args: Any) -> None:
    """``exit(reason)`` ends the calling process with ``reason``;
    ``exit(pid, reason)`` sends the exit signal ``reason`` to ``pid``."""
    if len(args) == 1:
        raise Exit(args[0])
    if len(args) != 2:
        raise TypeError("exit() takes (reason) or (pid, reason)")
    send_exit(args[0], args[1])


def outside_pid(node: Node) -> Pid:
    """The pid that stands for code outside every process of ``node`` (another
    thread, plain asyncio code in the node's thread): the sender of the exit signals
    such code sends.  No process has it (a node numbers its processes from 80), so a
    message to it is dropped and a monitor of it is DOWN with ``noproc`` at once."""
    return Pid(node.name, 0, 0, node.creation)


def send_exit(pid: Pid | str, reason: Any, *, node: Node | None = None) -> bool:
    """Send the exit signal ``reason`` to ``pid`` (``Process.exit``): from a process,
    from plain asyncio code in the node's thread, or from any other thread.

    From a process, the signal comes from that process.  From code outside every
    process there is no sender process: the signal comes from the node's
    :func:`outside_pid`, and behaves as one from a process that is not the target:
    ``"normal"`` is ignored by a process that does not trap exits, a trapping one
    receives ``("EXIT", outside_pid, reason)``, ``"kill"`` ends any process.

    ``node``: the node to signal in (``Node.exit`` passes itself; it must be the
    running node); default: the running node."""
    if node is None:
        node = current_node()
    target = resolve(pid, "Process.exit")
    if target is None:
        return True
    cur = caller()
    sender = cur if cur is not None else outside_pid(node)
    on_thread = sched.on_node_thread()
    proc = proc_of(target)
    if proc is None:
        if target.node != node.name:  # distribution's hooks run in the node's thread
            if on_thread:
                _remote.remote.exit(sender, target, reason)
            else:
                node.call_threadsafe(_remote_exit, node, sender, target, reason)
        return True
    if not on_thread:
        if reason == "kill":
            _kill_from_thread(node, proc)
        else:
            node.loop.call_soon_threadsafe(exit_signal, proc, sender, reason, False)
        return True
    exit_signal(proc, sender, reason, linked=False)
    return True


def _remote_exit(node: Node, sender: Pid, target: Pid, reason: Any) -> None:
    if sched.running_node() is node:
        _remote.remote.exit(sender, target, reason)


def _kill_from_thread(node: Node, proc: Proc) -> None:
    """``Process.exit(proc, "kill")`` from a thread that is not the node's: queued to
    the node's loop as any signal from another thread, and, should the process hold
    the node's thread meanwhile, interrupted there (see ``_watchdog``)."""
    node.loop.call_soon_threadsafe(kill, proc, "killed")
    stop_from_thread(node, proc)
