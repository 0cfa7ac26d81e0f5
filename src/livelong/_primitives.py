"""Erlang's process primitives on top of the kernel: spawn, links, monitors, exit
signals, names, timers and the ``Process`` namespace."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ._core import _scheduler as k
from ._core._ids import Pid, Ref
from ._core._scheduler import Exit, NotInProcessError, current_node, current_proc

__all__ = [
    "spawn",
    "spawn_link",
    "spawn_monitor",
    "self",
    "link",
    "unlink",
    "monitor",
    "demonitor",
    "alias",
    "unalias",
    "exit",
    "register",
    "unregister",
    "whereis",
    "registered",
    "send_after",
    "cancel_timer",
    "read_timer",
    "make_ref",
    "Process",
]


def _caller() -> k.Proc | None:
    cur = k._current
    if cur is not None and k._get_ident() == k._loop_tid:
        return cur
    return None


def spawn(fn: Callable[..., Any], *args: Any) -> Pid:
    """Start a process running ``fn(*args)`` (async or plain); returns its pid at once."""
    node = k._node
    if node is None:
        node = current_node()  # raises the clear "no node" error
    proc = node.spawn_proc(fn, args)
    if k._get_ident() == k._loop_tid:
        cur = k._current
        if cur is not None:
            cur.reductions += 1
        k._runq.append(proc)
        if not node.scheduled:
            k._kick()
    else:
        node.schedule_new(proc)
    return proc


def spawn_link(fn: Callable[..., Any], *args: Any) -> Pid:
    """``spawn`` and link the new process to the caller, atomically."""
    me = current_proc("spawn_link()")
    node = k._node
    assert node is not None
    proc = node.spawn_proc(fn, args)
    _add_link(me, proc)
    me.reductions += 1
    k._runq.append(proc)  # current_proc() vouched that this is the node's thread
    if not node.scheduled:
        k._kick()
    return proc


def spawn_monitor(fn: Callable[..., Any], *args: Any) -> tuple[Pid, Ref]:
    """``spawn`` and monitor the new process; returns ``(pid, ref)``."""
    me = k._current  # _caller(), inlined
    if me is None or k._get_ident() != k._loop_tid:
        me = current_proc("spawn_monitor()")  # raises the clear error
    if not callable(fn):
        raise TypeError(f"spawn_monitor: expected a function to run, got {fn!r}")
    node: k.Node = k._node  # type: ignore[assignment]
    # node.spawn_proc and _add_monitor, inlined: a tenth of a spawn_monitor's time
    proc = k.Proc(node.name, next(node.ids), node.creation, fn, args)
    node.procs[proc.id] = proc
    ref = Ref()
    mons = me.monitors
    if mons is None:
        mons = me.monitors = {}
    mons[ref] = proc
    proc.watcher_ref = ref
    proc.watcher = me
    me.reductions += 1
    k._runq.append(proc)
    if not node.scheduled:
        k._kick()
    return proc, ref


def self() -> Pid:
    """The pid of the calling process."""
    cur = k._current  # _caller(), inlined: self() is called everywhere
    if cur is not None and k._get_ident() == k._loop_tid:
        return cur
    return current_proc("self()")  # raises the clear error


def make_ref() -> Ref:
    """A new unique reference."""
    return Ref()


def _resolve(dest: Any, what: str) -> Pid | None:
    if isinstance(dest, Pid):
        return dest
    if isinstance(dest, str):
        return current_node().names.get(dest)
    raise TypeError(f"{what}: expected a Pid or a registered name (str), got {dest!r}")


def _add_link(a: k.Proc, b: k.Proc) -> None:
    if a.links is None:
        a.links = set()
    if b.links is None:
        b.links = set()
    a.links.add(b)
    b.links.add(a)


def _add_monitor(watcher: k.Proc, target: k.Proc, ref: Ref) -> None:
    if watcher.monitors is None:
        watcher.monitors = {}
    watcher.monitors[ref] = target
    k.watch(target, ref, watcher)


def link(pid: Pid) -> bool:
    """Link the caller and ``pid``.  Linking to a dead process is an exit signal
    ``noproc`` to the caller (a message when it traps exits)."""
    me = current_proc("link()")
    if not isinstance(pid, Pid):
        raise TypeError(f"link: expected a Pid, got {pid!r}")
    if pid == me:
        return True
    target = k.proc_of(pid)
    if target is None:
        if pid.node != current_node().name and k.remote.link(me, pid):
            if me.links is None:
                me.links = set()
            me.links.add(pid)
            return True
        k.exit_signal(me, pid, "noproc", linked=True)
        return True
    _add_link(me, target)
    return True


def unlink(pid: Pid) -> bool:
    """Remove the link between the caller and ``pid``, if any."""
    me = current_proc("unlink()")
    if not isinstance(pid, Pid):
        raise TypeError(f"unlink: expected a Pid, got {pid!r}")
    if me.links is not None:
        me.links.discard(pid)
    target = k.proc_of(pid)
    if target is not None and target.links is not None:
        target.links.discard(me)
    elif target is None and pid.node != current_node().name:
        k.remote.unlink(me, pid)
    return True


def monitor(target: Pid | str, *, alias: str | None = None) -> Ref:
    """Monitor a process (pid or registered name).  When it exits, the caller gets
    ``("DOWN", ref, "process", pid, reason)``; at once with ``"noproc"`` if it is
    already dead.

    With ``alias=`` (``"explicit_unalias"``, ``"demonitor"`` or ``"reply_demonitor"``)
    the ref is also an alias of the caller: ``send(ref, msg)`` reaches it while the
    alias is active (see :func:`alias`).  This is how a request/reply protocol makes
    sure a reply that comes too late never lands in the mailbox."""
    me = k._current  # _caller(), inlined: this is every GenServer call's path
    if me is None or k._get_ident() != k._loop_tid:
        me = current_proc("monitor()")  # raises the clear error
    pid: Pid | None
    proc: k.Proc | None
    if type(target) is k.Proc and target.status is not k.EXITED:
        pid = proc = target  # a live local process
    else:
        pid = target if isinstance(target, Pid) else _resolve(target, "monitor")
        proc = k.proc_of(pid) if pid is not None else None
    ref = Ref()
    if alias is not None:
        k.add_alias(me, ref, alias)
    if proc is None:
        if (
            pid is not None
            and pid.node != current_node().name
            and k.remote.monitor(me, pid, ref)
        ):
            if me.monitors is None:
                me.monitors = {}
            me.monitors[ref] = pid
            return ref
        if alias is not None and alias != "explicit_unalias":
            k.drop_alias(ref)
        k.deliver(me, ("DOWN", ref, "process", pid if pid is not None else target, "noproc"))
        return ref
    _add_monitor(me, proc, ref)
    return ref


def demonitor(ref: Ref, flush: bool = False) -> bool:
    """Stop the monitor ``ref`` (and its alias, unless made with
    ``"explicit_unalias"``).  With ``flush=True`` also drop its DOWN message if one
    already arrived."""
    me = current_proc("demonitor()")
    if not isinstance(ref, Ref):
        raise TypeError(f"demonitor: expected a Ref, got {ref!r}")
    if me.monitors:
        k._forget_monitor(me, ref)
    entry = current_node().aliases.get(ref)
    if entry is not None and entry[0] is me and entry[1] != "explicit_unalias":
        k.drop_alias(ref)
    if flush:
        mb = me.mailbox or ()
        for i, m in enumerate(mb):
            if type(m) is tuple and len(m) == 5 and m[0] == "DOWN" and m[1] == ref:
                del mb[i]  # type: ignore[union-attr]
                break
    return True


def alias(mode: str = "explicit_unalias") -> Ref:
    """A new alias of the caller: a ref that ``send`` accepts as a destination and
    that reaches the caller until :func:`unalias` (Erlang's ``alias/1``).  With
    ``mode="reply_demonitor"`` the first message through it also deactivates it."""
    me = current_proc("alias()")
    ref = Ref()
    k.add_alias(me, ref, mode)
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
    return k.drop_alias(ref)


def exit(*args: Any) -> None:
    """``exit(reason)`` ends the calling process with ``reason``;
    ``exit(pid, reason)`` sends the exit signal ``reason`` to ``pid``."""
    if len(args) == 1:
        raise Exit(args[0])
    if len(args) != 2:
        raise TypeError("exit() takes (reason) or (pid, reason)")
    Process.exit(args[0], args[1])


def register(name: str, pid: Pid | None = None) -> bool:
    """Register ``pid`` (default: the caller) under ``name``."""
    node = current_node()
    if pid is None:
        pid = current_proc("register() without a pid")
    if not isinstance(name, str):
        raise TypeError(f"register: a name must be a str, got {name!r}")
    if name in ("undefined",):
        raise ValueError(f"register: {name!r} is reserved")
    if not isinstance(pid, Pid):
        raise TypeError(f"register: expected a Pid, got {pid!r}")
    proc = k.proc_of(pid)
    if proc is None:
        raise ValueError(f"register: {pid!r} is not alive")
    if name in node.names:
        raise ValueError(f"register: {name!r} is already registered to {node.names[name]!r}")
    if proc.name is not None:
        raise ValueError(f"register: {pid!r} is already registered as {proc.name!r}")
    node.names[name] = proc
    proc.name = name
    return True


def unregister(name: str) -> bool:
    """Remove the registered ``name``."""
    node = current_node()
    proc = node.names.pop(name, None)
    if proc is None:
        raise ValueError(f"unregister: {name!r} is not registered")
    proc.name = None
    return True


def whereis(name: str) -> Pid | None:
    """The pid registered as ``name``, or None."""
    if not isinstance(name, str):
        raise TypeError(f"whereis: a name must be a str, got {name!r}")
    return current_node().names.get(name)


def registered() -> list[str]:
    """All registered names."""
    return sorted(current_node().names)


def send_after(dest: Pid | str, msg: Any, seconds: float) -> Ref:
    """Send ``msg`` to ``dest`` after ``seconds``; returns a timer reference."""
    node = current_node()
    seconds = k.seconds_arg(seconds, "send_after: seconds")
    if not isinstance(dest, (Pid, str)):
        raise TypeError(f"send_after: expected a Pid or a registered name, got {dest!r}")
    ref = Ref()

    def fire() -> None:
        node.timers.pop(ref, None)
        try:
            k.send(dest, msg)
        except ValueError:
            pass  # a name that is no longer registered: dropped, as in Erlang

    def arm() -> None:
        node.timers[ref] = node.loop.call_later(seconds, fire)

    if k._get_ident() == node.thread_id:
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


class Process:
    """Elixir's ``Process`` module: information about and control of processes."""

    @staticmethod
    def alive(pid: Pid) -> bool:
        """True while ``pid`` is a live local process.  Safe from any thread."""
        if not isinstance(pid, Pid):
            raise TypeError(f"Process.alive: expected a Pid, got {pid!r}")
        proc = k.proc_of(pid)
        return proc is not None and proc.status is not k.EXITED and proc.status is not k.EXITING

    @staticmethod
    def info(pid: Pid, key: str | None = None) -> Any:
        """A snapshot dict of the process (None once it is dead); with ``key``, one
        item of it.  Safe from any thread, even while the scheduler is busy."""
        if not isinstance(pid, Pid):
            raise TypeError(f"Process.info: expected a Pid, got {pid!r}")
        proc = k.proc_of(pid)
        if proc is None or proc.status is k.EXITED:
            return None
        info = process_info(proc)
        if key is not None:
            if key not in info:
                raise KeyError(f"Process.info: unknown item {key!r}; known: {sorted(info)}")
            return info[key]
        return info

    @staticmethod
    def list() -> list[Pid]:
        """The pids of every live process of this node."""
        return list(current_node().procs.values())

    @staticmethod
    def flag(flag: str, value: Any) -> Any:
        """Set a process flag of the caller; returns the old value.  Supported:
        ``"trap_exit"``."""
        me = current_proc("Process.flag()")
        if flag == "trap_exit":
            if type(value) is not bool:
                raise TypeError(f"Process.flag: trap_exit takes True or False, got {value!r}")
            old = me.trap_exit
            me.trap_exit = value
            return old
        raise ValueError(f"Process.flag: unknown flag {flag!r} (supported: 'trap_exit')")

    @staticmethod
    async def sleep(seconds: float) -> None:
        """Suspend the caller for ``seconds`` (messages wait in the mailbox)."""
        seconds = k.seconds_arg(seconds, "Process.sleep: seconds")
        if seconds == float("inf"):
            await asyncio.get_running_loop().create_future()
        else:
            await asyncio.sleep(seconds)

    @staticmethod
    def exit(pid: Pid | str, reason: Any) -> bool:
        """Send the exit signal ``reason`` to ``pid``.  ``"kill"`` cannot be trapped;
        works from any thread, and stops even a process that never yields."""
        node = current_node()
        target = _resolve(pid, "Process.exit")
        if target is None:
            return True
        proc = k.proc_of(target)
        cur = _caller()
        sender = cur if cur is not None else target
        if proc is None:
            if target.node != node.name:
                k.remote.exit(sender, target, reason)
            return True
        if cur is None and k._get_ident() != node.thread_id:
            if reason == "kill":
                k.kill(proc, "killed")
            else:
                node.loop.call_soon_threadsafe(k.exit_signal, proc, sender, reason, False)
            return True
        if cur is None and reason == "normal":
            return True
        k.exit_signal(proc, sender, reason, linked=False)
        return True

    @staticmethod
    def get(key: Any = None, default: Any = None) -> Any:
        """The caller's process dictionary: ``get()`` all of it, ``get(key)`` one value."""
        me = current_proc("Process.get()")
        d = me.dictionary or {}
        if key is None:
            return dict(d)
        return d.get(key, default)

    @staticmethod
    def put(key: Any, value: Any) -> Any:
        """Store ``value`` under ``key`` in the caller's dictionary; returns the old value."""
        me = current_proc("Process.put()")
        if me.dictionary is None:
            me.dictionary = {}
        old = me.dictionary.get(key)
        me.dictionary[key] = value
        return old

    @staticmethod
    def delete(key: Any) -> Any:
        """Remove ``key`` from the caller's dictionary; returns its value."""
        me = current_proc("Process.delete()")
        return me.dictionary.pop(key, None) if me.dictionary else None

    register = staticmethod(register)
    unregister = staticmethod(unregister)
    whereis = staticmethod(whereis)
    registered = staticmethod(registered)
    link = staticmethod(link)
    unlink = staticmethod(unlink)
    monitor = staticmethod(monitor)
    demonitor = staticmethod(demonitor)
    alias = staticmethod(alias)
    unalias = staticmethod(unalias)
    send_after = staticmethod(send_after)
    cancel_timer = staticmethod(cancel_timer)
    read_timer = staticmethod(read_timer)


def process_info(proc: k.Proc) -> dict[str, Any]:
    status = proc.status
    if status is k.SUSPENDED or status is k.WAITING_SEL:
        status = k.WAITING
    elif status is k.PREEMPTED:
        status = k.RUNNING  # busy: only waiting for its next turn on the CPU
    return {
        "pid": proc,
        "status": status,
        "current_function": k.current_function(proc),
        "initial_call": k.mfa(proc.initial),
        "message_queue_len": len(proc.mailbox or ()),
        "messages": list(proc.mailbox or ()),
        "links": sorted(proc.links or ()),
        "monitors": [("process", p) for p in (proc.monitors or {}).values()],
        "monitored_by": k.watchers_of(proc),
        "trap_exit": proc.trap_exit,
        "registered_name": proc.name,
        "reductions": proc.reductions,
        "memory": k.memory_of(proc),
        "dictionary": dict(proc.dictionary or {}),
    }


__all__ += ["Exit", "NotInProcessError"]
