"""Links, monitors and aliases: the primitives, and the tables they keep.

A link is recorded on both processes (``links``); a monitor on the watcher
(``monitors``: ref -> target) and on the target (its watcher slots, see
:meth:`LocalPid.add_watcher`); an alias in the node's ``aliases`` (ref -> (owner,
mode)) and, for an explicit one, in its owner's ``aliases``.  The scheduler fires them
as a process exits (``_scheduler._cleanup``)."""

from __future__ import annotations

from . import _remote
from . import _scheduler as sched
from ._ids import Pid, Ref
from ._lifecycle import exit_signal
from ._mfa import internal
from ._names import resolve
from ._patterns import ANY, find, set_marker, start_at, take
from ._process import EXITED, Proc
from ._scheduler import current_node, current_proc, deliver, proc_of

internal(__file__)

__all__ = ["link", "unlink", "monitor", "demonitor", "alias", "unalias"]

ALIAS_MODES = ("explicit_unalias", "demonitor", "reply_demonitor")


def add_alias(proc: Proc, ref: Ref, mode: str) -> None:
    """Make ``ref`` an alias of ``proc``: messages sent to ``ref`` reach ``proc``
    while the alias is active.  ``mode`` says what deactivates it: ``unalias`` only
    (``"explicit_unalias"``), also demonitor or DOWN (``"demonitor"``), or also the
    first message through it (``"reply_demonitor"``)."""
    if mode not in ALIAS_MODES:
        raise ValueError(f"alias: unknown mode {mode!r}; expected one of {ALIAS_MODES}")
    n = sched._node
    assert n is not None
    n.aliases[ref] = (proc, mode)
    if mode == "explicit_unalias":  # the others end with their monitor
        if proc.aliases is None:
            proc.aliases = set()
        proc.aliases.add(ref)


def drop_alias(ref: Ref) -> bool:
    n = sched._node
    entry = n.aliases.pop(ref, None) if n is not None else None
    if entry is None:
        return False
    aliases = entry[0].aliases
    if aliases is not None:
        aliases.discard(ref)
    return True


def forget_monitor(proc: Proc, ref: Ref) -> None:
    """Remove the monitor ``ref`` held by ``proc`` (both sides), if it is still there."""
    mons = proc.monitors
    target = mons.pop(ref, None) if mons else None
    if type(target) is Proc:
        target.remove_watcher(ref)
    elif type(target) is Pid and sched._node is not None and target.node != sched._node.name:
        _remote.remote.demonitor(proc, target, ref)


def add_link(a: Proc, b: Proc) -> None:
    if a.links is None:
        a.links = set()
    if b.links is None:
        b.links = set()
    a.links.add(b)
    b.links.add(a)


def add_monitor(watcher: Proc, target: Proc, ref: Ref) -> None:
    if watcher.monitors is None:
        watcher.monitors = {}
    watcher.monitors[ref] = target
    target.add_watcher(ref, watcher)


def link(pid: Pid) -> bool:
    """Link the caller and ``pid``.  Linking to a dead process is an exit signal
    ``noproc`` to the caller (a message when it traps exits)."""
    me = current_proc("link()")
    if not isinstance(pid, Pid):
        raise TypeError(f"link: expected a Pid, got {pid!r}")
    if pid == me:
        return True
    target = proc_of(pid)
    if target is None:
        if pid.node != current_node().name and _remote.remote.link(me, pid):
            if me.links is None:
                me.links = set()
            me.links.add(pid)
            return True
        exit_signal(me, pid, "noproc", linked=True)
        return True
    add_link(me, target)
    return True


def unlink(pid: Pid) -> bool:
    """Remove the link between the caller and ``pid``, if any."""
    me = current_proc("unlink()")
    if not isinstance(pid, Pid):
        raise TypeError(f"unlink: expected a Pid, got {pid!r}")
    if me.links is not None:
        me.links.discard(pid)
    target = proc_of(pid)
    if target is not None and target.links is not None:
        target.links.discard(me)
    elif target is None and pid.node != current_node().name:
        _remote.remote.unlink(me, pid)
    return True


def monitor(target: Pid | str, *, alias: str | None = None) -> Ref:
    """Monitor a process (pid or registered name).  When it exits, the caller gets
    ``("DOWN", ref, "process", pid, reason)``; at once with ``"noproc"`` if it is
    already dead.

    With ``alias=`` (``"explicit_unalias"``, ``"demonitor"`` or ``"reply_demonitor"``)
    the ref is also an alias of the caller: ``send(ref, msg)`` reaches it while the
    alias is active (see :func:`alias`).  This is how a request/reply protocol makes
    sure a reply that comes too late never lands in the mailbox."""
    me = sched._current  # caller(), inlined: this is every GenServer call's path
    if me is None or sched._get_ident() != sched._loop_tid:
        me = current_proc("monitor()")  # raises the clear error
    pid: Pid | None
    proc: Proc | None
    if type(target) is Proc and target.status is not EXITED:
        pid = proc = target  # a live local process
    else:
        pid = target if isinstance(target, Pid) else resolve(target, "monitor")
        proc = proc_of(pid) if pid is not None else None
    ref = Ref()
    mb = me.mailbox  # set_marker, inlined: a receive of this ref's replies or DOWN
    if mb:  # skips the messages already there
        at = len(mb)
        me.mark_ref2 = me.mark_ref if me.mark_at == at else None
        me.mark_at = at
    else:  # (the marker is at 0 already)
        me.mark_ref2 = me.mark_ref
    me.mark_ref = ref
    if alias is not None:
        add_alias(me, ref, alias)
    if proc is None:
        if (
            pid is not None
            and pid.node != current_node().name
            and _remote.remote.monitor(me, pid, ref)
        ):
            if me.monitors is None:
                me.monitors = {}
            me.monitors[ref] = pid
            return ref
        if alias is not None and alias != "explicit_unalias":
            drop_alias(ref)
        deliver(me, ("DOWN", ref, "process", pid if pid is not None else target, "noproc"))
        return ref
    add_monitor(me, proc, ref)
    return ref


def demonitor(ref: Ref, flush: bool = False) -> bool:
    """Stop the monitor ``ref`` (and its alias, unless made with
    ``"explicit_unalias"``).  With ``flush=True`` also drop its DOWN message if one
    already arrived."""
    me = current_proc("demonitor()")
    if not isinstance(ref, Ref):
        raise TypeError(f"demonitor: expected a Ref, got {ref!r}")
    if me.monitors:
        forget_monitor(me, ref)
    entry = current_node().aliases.get(ref)
    if entry is not None and entry[0] is me and entry[1] != "explicit_unalias":
        drop_alias(ref)
    if flush:
        mb = me.mailbox
        if mb:
            down = ("DOWN", ref, ANY, ANY, ANY)  # (matched as a receive would: never raises)
            i = find(mb, (down,), start_at(me, (down,)) if me.mark_at else 0)
            if i >= 0:
                take(me, mb, i)
    return True


def alias(mode: str = "explicit_unalias") -> Ref:
    """A new alias of the caller: a ref that ``send`` accepts as a destination and
    that reaches the caller until :func:`unalias` (Erlang's ``alias/1``).  With
    ``mode="reply_demonitor"`` the first message through it also deactivates it."""
    me = current_proc("alias()")
    ref = Ref()
    set_marker(me, ref)
    add_alias(me, ref, mode)
    return ref


def unalias(ref: Ref) -> bool:
    """Deactivate an alias of the caller; messages sent to it afterwards are dropped.
    Returns False if it was not an active alias of the caller."""
    me = current_proc("unalias()")
    if not isinstance(ref, Ref):
        raise TypeError(f"unalias: expected a Ref, got {ref!r}")
    entry = current_node().aliases.get(ref)
    if entry is None or entry[0] is not me:
        return False
    return drop_alias(ref)
