"""Registry: a local key -> process store, with unique or duplicate keys.

>>> import livelong
>>> from livelong import Registry, GenServer, Reply
>>> class Room(GenServer):
...     def handle_call(self, request, from_, state):
...         return Reply(("in", state), state)
>>> async def main():
...     await Registry.start_link(keys="unique", name="rooms")
...     await Room.start_link("lobby", name=("via", Registry, ("rooms", "lobby")))
...     return await GenServer.call(("via", Registry, ("rooms", "lobby")), "where?")
>>> livelong.run(main)
('in', 'lobby')

A registry is a process started with a name (``Registry.start_link(keys=...,
name=...)``, or ``Registry.child_spec(...)`` in a supervisor); every other function takes
that name.  A process registers *itself* (``register(registry, key, value)``), so what
it registers lives as long as it does: the registry process monitors every process that
has entries, and removes them when it exits.  Reads
(``lookup``, ``dispatch``, ``keys``, ``count``) go straight to the registry's table,
without a message round trip, as Elixir's read its ETS table.

``keys="unique"``: one process per key, ``register`` raises :class:`AlreadyRegistered`
when another live process holds it.  ``keys="duplicate"``: any number of processes (and
entries) per key -- a pub/sub topic list, for instance with ``dispatch``.

As a GenServer name: ``("via", Registry, (registry_name, key))``.  The functions
``register_name``, ``whereis_name``, ``unregister_name`` and ``send`` take that
``(registry_name, key)`` pair (unique registries only), and are what ``via`` calls.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, cast

from .._core import Pid, Process, Ref, current_node, demonitor, monitor, send
from .._core import match as _match
from .._core import self as _self
from ._child_spec import ChildSpec
from ._gen_server import GenServer, NoReply
from ._seconds import timeout_arg
from ._tables import live_table

__all__ = ["Registry", "AlreadyRegistered"]


class AlreadyRegistered(ValueError):
    """``Registry.register`` of a unique key that another live process holds; ``pid``
    is that process."""

    def __init__(self, message: str, pid: Pid) -> None:
        super().__init__(message)
        self.pid = pid


class _Table:
    """The registry's data, shared by the registry process (which removes the entries
    of processes that exit) and the processes that read and register."""

    __slots__ = (
        "name", "kind", "owner", "node", "entries", "by_pid", "watched", "listeners",
        "partitions", "__weakref__",
    )  # fmt: skip

    def __init__(
        self, name: str, kind: str, owner: Pid, listeners: tuple[Any, ...] = (), partitions: int = 1
    ) -> None:
        self.name = name
        self.kind = kind
        self.owner = owner
        self.listeners = listeners
        self.partitions = partitions
        self.node = current_node()
        # key -> [(pid, value), ...] (one entry at most for a unique registry)
        self.entries: dict[Any, list[tuple[Pid, Any]]] = {}
        # pid -> keys it registered (with repeats for duplicate registrations)
        self.by_pid: dict[Pid, list[Any]] = {}
        # pid -> the registry process's monitor of it (touched by the registry only)
        self.watched: dict[Pid, Ref] = {}

    def notify(self, msg: Any) -> None:
        for to in self.listeners:
            try:
                send(to, msg)
            except ValueError:
                pass  # a listener name not registered (yet): as Elixir's send to a name

    def drop_pid(self, pid: Pid) -> None:
        for key in self.by_pid.pop(pid, ()):
            rows = self.entries.get(key)
            if rows is None:
                continue
            if self.listeners:
                self.notify(("unregister", self.name, key, pid))
            rows[:] = [r for r in rows if r[0] != pid]
            if not rows:
                del self.entries[key]


# name -> the table of the registry running under that name.  Held weakly: the registry
# process holds its table (its state), so an entry goes with the process even when its
# terminate does not run (a node that ends closes its processes), and cannot keep an old
# node alive.
_tables: weakref.WeakValueDictionary[str, _Table] = weakref.WeakValueDictionary()

# What a registering process asks of the registry: watch it from its first entry on,
# stop watching when it has none left.  (Monitors, not links: a link would tie the
# registrant and the registry, and unlinking could cut a link the registrant had anyway,
# as the registry's parent, say.)  Both come from the same process, so in order.
_WATCH = "$registry_watch"
_UNWATCH = "$registry_unwatch"


def _table(registry: Any, what: str) -> _Table:
    t = live_table(_tables, registry)
    if t is None:
        raise ValueError(
            f"{what}: unknown registry {registry!r}; start it with "
            f"Registry.start_link(keys=..., name={registry!r})"
        )
    return t


class _RegistryServer(GenServer[Any]):
    def init(self, arg: Any) -> Any:
        name, kind, listeners, partitions = arg
        Process.flag("trap_exit", True)
        me = _self()
        old = live_table(_tables, name)
        if old is not None:
            raise ValueError(f"Registry {name!r} is already running as {old.owner!r}")
        table = _Table(name, kind, me, listeners, partitions)
        _tables[name] = table
        return table

    def handle_info(self, msg: Any, table: _Table) -> Any:
        if type(msg) is tuple and len(msg) == 2:
            tag, pid = msg
            if tag == _WATCH:  # a dead pid: the DOWN ("noproc") comes at once
                table.watched[pid] = monitor(pid)
                return NoReply(table)
            if tag == _UNWATCH:
                ref = table.watched.pop(pid, None)
                if ref is not None:
                    demonitor(ref, flush=True)
                return NoReply(table)
        if type(msg) is tuple and len(msg) == 5 and msg[0] == "DOWN":
            pid = msg[3]
            if table.watched.get(pid) == msg[1]:
                del table.watched[pid]
                table.drop_pid(pid)
                return NoReply(table)
        return super().handle_info(msg, table)

    def terminate(self, reason: Any, table: Any) -> None:
        if isinstance(table, _Table) and _tables.get(table.name) is table:
            del _tables[table.name]


class Registry:
    """A local process registry with unique or duplicate keys (see the module docs)."""

    AlreadyRegistered = AlreadyRegistered

    @staticmethod
    async def start_link(
        *,
        keys: str,
        name: str,
        timeout: float | None = None,
        listeners: list[Any] | tuple[Any, ...] = (),
        partitions: int = 1,
    ) -> Pid:
        """Start a registry linked to the caller.  ``keys``: ``"unique"`` or
        ``"duplicate"``; ``name``: how every other function refers to it (it is also
        registered under that name).  ``listeners``: names (or pids) sent
        ``("register", registry, key, pid, value)`` and ``("unregister", registry, key,
        pid)`` (also when a process exits).  ``partitions``: accepted as in Elixir;
        one table serves all (reads are lock-free here), see :meth:`meta`."""
        _check(keys, name)
        if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
            raise ValueError(
                f"Registry.start_link: partitions must be an int >= 1, got {partitions!r}"
            )
        timeout = timeout_arg(timeout, "Registry.start_link: timeout")
        arg = (name, keys, tuple(listeners), partitions)
        pid = await _RegistryServer.start_link(arg, name=name, timeout=timeout)
        assert pid is not None
        return pid

    @staticmethod
    def child_spec(
        *,
        keys: str,
        name: str,
        id: Any = None,
        listeners: list[Any] | tuple[Any, ...] = (),
        partitions: int = 1,
    ) -> ChildSpec:
        """Spec to start a registry in a supervisor (a worker, permanent)."""
        _check(keys, name)

        async def start() -> Pid:
            return await Registry.start_link(
                keys=keys, name=name, listeners=listeners, partitions=partitions
            )

        return ChildSpec(id if id is not None else name, start)

    # --- writes: by the registering process itself -------------------------------------
    @staticmethod
    def register(registry: str, key: Any, value: Any = None) -> None:
        """Register the caller under ``key`` with ``value``.  Raises
        :class:`AlreadyRegistered` for a unique key held by another live process."""
        t = _table(registry, "Registry.register")
        me = _self()
        hash(key)
        rows = t.entries.get(key)
        if t.kind == "unique" and rows:
            holder = rows[0][0]
            if holder != me and Process.alive(holder):
                raise AlreadyRegistered(
                    f"Registry {registry!r}: {key!r} is already registered by {holder!r}", holder
                )
            if holder == me:
                raise AlreadyRegistered(
                    f"Registry {registry!r}: {key!r} is already registered by {holder!r}", holder
                )
            t.drop_pid(holder)  # an exited holder whose EXIT the registry has not seen yet
            rows = None
        if rows is None:
            rows = t.entries[key] = []
        rows.append((me, value))
        keys = t.by_pid.get(me)
        if keys is None:
            keys = t.by_pid[me] = []
            send(t.owner, (_WATCH, me))  # the registry learns of our exit by a monitor
        keys.append(key)
        if t.listeners:
            t.notify(("register", t.name, key, me, value))

    @staticmethod
    def unregister(registry: str, key: Any) -> None:
        """Remove the caller's entries under ``key`` (nothing if it has none)."""
        t = _table(registry, "Registry.unregister")
        me = _self()
        rows = t.entries.get(key)
        if rows:
            had = len(rows)
            rows[:] = [r for r in rows if r[0] != me]
            if not rows:
                del t.entries[key]
            if t.listeners and len(rows) != had:
                t.notify(("unregister", t.name, key, me))
        keys = t.by_pid.get(me)
        if keys is not None:
            keys[:] = [k for k in keys if k != key]
            if not keys:
                del t.by_pid[me]
                send(t.owner, (_UNWATCH, me))

    @staticmethod
    def update_value(registry: str, key: Any, fn: Callable[[Any], Any]) -> Any:
        """Unique registries: set the caller's value under ``key`` to ``fn(old)``;
        returns the new value.  Raises ``KeyError`` if the caller does not hold it."""
        t = _table(registry, "Registry.update_value")
        if t.kind != "unique":
            raise ValueError(f"Registry.update_value: {registry!r} has duplicate keys")
        me = _self()
        rows = t.entries.get(key)
        if not rows or rows[0][0] != me:
            raise KeyError(f"Registry {registry!r}: {me!r} does not hold {key!r}")
        new = fn(rows[0][1])
        rows[0] = (me, new)
        return new

    # --- reads -------------------------------------------------------------------------
    @staticmethod
    def lookup(registry: str, key: Any) -> list[tuple[Pid, Any]]:
        """``[(pid, value), ...]`` registered under ``key`` by live processes."""
        t = _table(registry, "Registry.lookup")
        rows = t.entries.get(key)
        if not rows:
            return []
        return [r for r in rows if Process.alive(r[0])]

    @staticmethod
    def dispatch(registry: str, key: Any, fn: Callable[[list[tuple[Pid, Any]]], Any]) -> Any:
        """Call ``fn(entries)`` with the ``(pid, value)`` entries of ``key``, in the
        caller; not called when there are none.  Returns what ``fn`` returned."""
        entries = Registry.lookup(registry, key)
        if entries:
            return fn(entries)
        return None

    @staticmethod
    def keys(registry: str, pid: Pid) -> list[Any]:
        """The keys ``pid`` registered."""
        t = _table(registry, "Registry.keys")
        return list(t.by_pid.get(pid, ()))

    @staticmethod
    def count(registry: str) -> int:
        """The number of entries of live processes."""
        t = _table(registry, "Registry.count")
        alive = Process.alive
        return sum(1 for rows in t.entries.values() for r in rows if alive(r[0]))

    @staticmethod
    def match(registry: str, key: Any, pattern: Any) -> list[tuple[Pid, Any]]:
        """The ``(pid, value)`` entries under ``key`` whose value matches ``pattern``
        (a receive pattern: a value, ``ANY``, a tuple of patterns, a predicate)."""
        return [r for r in Registry.lookup(registry, key) if _matches(pattern, r[1])]

    @staticmethod
    def count_match(registry: str, key: Any, pattern: Any) -> int:
        """``len(Registry.match(registry, key, pattern))``."""
        return len(Registry.match(registry, key, pattern))

    @staticmethod
    def select(registry: str, pattern: Any = None) -> list[tuple[Any, Pid, Any]]:
        """All ``(key, pid, value)`` entries of live processes matching ``pattern``
        (a receive pattern applied to the triple; None: all).  Elixir's match
        specifications become patterns: ``(ANY, ANY, lambda v: v > 1)``."""
        t = _table(registry, "Registry.select")
        alive = Process.alive
        out = []
        for key, rows in list(t.entries.items()):
            for pid, value in rows:
                e = (key, pid, value)
                if alive(pid) and (pattern is None or _matches(pattern, e)):
                    out.append(e)
        return out

    @staticmethod
    def count_select(registry: str, pattern: Any = None) -> int:
        """``len(Registry.select(registry, pattern))``."""
        return len(Registry.select(registry, pattern))

    @staticmethod
    def meta(registry: str) -> dict[str, Any]:
        """``{"keys": ..., "partitions": ..., "listeners": [...]}`` of ``registry``."""
        t = _table(registry, "Registry.meta")
        return {"keys": t.kind, "partitions": t.partitions, "listeners": list(t.listeners)}

    # --- the via interface ------------------------------------------------------------
    @staticmethod
    def register_name(name: tuple[str, Any], pid: Pid) -> bool:
        """``via``: register ``pid`` (must be the caller) under ``name =
        (registry, key)``; False if the key is taken."""
        registry, key = _via_name(name)
        if pid != _self():
            raise ValueError(f"Registry.register_name: only the caller can register, not {pid!r}")
        t = _table(registry, "Registry.register_name")
        if t.kind != "unique":
            raise ValueError(f"Registry {registry!r}: via names need a unique registry")
        try:
            Registry.register(registry, key, None)
        except AlreadyRegistered:
            return False
        return True

    @staticmethod
    def whereis_name(name: tuple[str, Any]) -> Pid | None:
        """``via``: the pid under ``(registry, key)``, or None."""
        registry, key = _via_name(name)
        found = Registry.lookup(registry, key)
        return found[0][0] if found else None

    @staticmethod
    def unregister_name(name: tuple[str, Any]) -> None:
        """``via``: the caller gives up ``(registry, key)``."""
        registry, key = _via_name(name)
        Registry.unregister(registry, key)

    @staticmethod
    def send(name: tuple[str, Any], msg: Any) -> Pid:
        """``via``: send ``msg`` to the process under ``(registry, key)``; raises
        ``ValueError`` if there is none."""
        pid = Registry.whereis_name(name)
        if pid is None:
            raise ValueError(f"Registry.send: no process is registered as {name!r}")
        send(pid, msg)
        return pid


def _matches(pattern: Any, value: Any) -> bool:
    try:
        return _match(pattern, value)
    except Exception:
        return False  # a predicate that raises does not match, as in receive


def _via_name(name: Any) -> tuple[str, Any]:
    if type(name) is not tuple or len(name) != 2:
        raise TypeError(f"a Registry via name is (registry_name, key), got {name!r}")
    return cast("tuple[str, Any]", name)


def _check(keys: Any, name: Any) -> None:
    if keys not in ("unique", "duplicate"):
        raise ValueError(f"Registry: keys must be 'unique' or 'duplicate', got {keys!r}")
    if not isinstance(name, str):
        raise TypeError(f"Registry: name must be a str, got {name!r}")
