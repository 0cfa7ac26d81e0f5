"""Where distribution plugs in under the primitives: the remote hooks.

The kernel handles every pid, ref and name of its own node.  Whatever names another
node (a :class:`~livelong.Pid` or alias whose ``node`` is not this node's name, a
``(name, node)`` destination) goes to the object installed with
:func:`set_remote_hooks`, so a remote pid is used exactly like a local one.  The
default, :class:`RemoteHooks` itself, is a node without distribution: messages to
other nodes are dropped (as Erlang drops messages to an unreachable node), and
links and monitors to them fail so that the caller gets ``noproc``.

Every hook is called in the node's own thread, from inside the primitive that needs
it (so from inside a process, or from the kernel as a process exits); a hook must
not block and must not raise: what it cannot do now it queues.  Messages handed to
a hook are already copied when the node copies messages.

>>> from livelong._core._ids import Pid
>>> hooks = RemoteHooks()
>>> hooks.link(Pid("a@host", 80), Pid("b@host", 81))
False
"""

from __future__ import annotations

import logging
from typing import Any

from ._ids import Pid, Ref
from ._mfa import internal

internal(__file__)

logger = logging.getLogger("livelong")


class RemoteHooks:
    """The distribution protocol of the kernel.  Subclass it and override each hook;
    install an instance with :func:`set_remote_hooks`."""

    def send(self, pid: Pid, msg: Any) -> None:
        """Deliver ``msg`` to the process ``pid`` of another node (``send(pid, msg)``).
        Best effort, in order per pair of processes, as Erlang's."""
        logger.debug("dropping message to %r: node %s is not connected", pid, pid.node)

    def send_name(self, name: str, node: str, msg: Any) -> None:
        """Deliver ``msg`` to the process registered as ``name`` on ``node``
        (``send((name, node), msg)``)."""
        logger.debug("dropping message to %s on %s: not connected", name, node)

    def send_alias(self, ref: Ref, msg: Any) -> None:
        """Deliver ``msg`` through the alias ``ref`` of a process on ``ref.node``."""
        logger.debug("dropping message to alias %r on %s: not connected", ref, ref.node)

    def link(self, local: Pid, remote: Pid) -> bool:
        """Link the local process ``local`` to ``remote``.  True when the link is made
        (the kernel then records it on ``local``'s side); False makes the caller get
        ``noproc`` as for a dead pid.  A link to a pid that turns out dead later must
        be answered with an exit signal ``noproc`` (see :func:`signal_exit`)."""
        return False

    def unlink(self, local: Pid, remote: Pid) -> None:
        """Remove the link between ``local`` and ``remote`` on the remote side."""
        return None

    def exit(self, from_: Pid, to: Pid, reason: Any) -> None:
        """Send the exit signal ``reason`` from ``from_`` to the remote ``to``: a linked
        process's exit (``from_`` just exited) or ``Process.exit(to, reason)``."""
        return None

    def monitor(self, watcher: Pid, target: Pid, ref: Ref) -> bool:
        """Make ``watcher`` monitor the remote ``target`` under ``ref``.  True when
        the monitor is set up (its DOWN comes later through the kernel's
        ``deliver``); False makes the kernel deliver the DOWN with ``noproc`` at once."""
        return False

    def demonitor(self, watcher: Pid, target: Pid, ref: Ref) -> None:
        """Cancel the monitor ``ref`` of ``watcher`` on the remote ``target``."""
        return None


remote: RemoteHooks = RemoteHooks()
"""The hooks in force.  The kernel reads this module attribute at each use."""


def set_remote_hooks(hooks: RemoteHooks | None) -> RemoteHooks:
    """Install ``hooks`` (None: back to no distribution); returns the previous ones."""
    global remote
    old = remote
    remote = hooks if hooks is not None else RemoteHooks()
    return old
