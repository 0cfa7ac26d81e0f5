"""Process groups, as Erlang's ``pg``: named groups of processes, cleaned on exit.

>>> import livelong
>>> from livelong import pg, spawn, receive, Process
>>> async def idle():
...     await receive()
>>> async def main():
...     await pg.start_link()                     # the default scope, "pg"
...     a = spawn(idle)
...     await pg.join("workers", a)
...     await pg.join("workers", [spawn(idle), spawn(idle)])
...     before = len(pg.get_members("workers"))
...     Process.exit(a, "kill")
...     await Process.sleep(0.01)
...     return before, len(pg.get_members("workers")), pg.which_groups()
>>> livelong.run(main)
(3, 2, ['workers'])

A *scope* is a process (``pg.start_link(scope)``, or ``pg.child_spec(scope)`` in a
supervisor) that owns its groups and monitors their members; the default scope is
``"pg"``.  ``join``/``leave`` go through the scope process (they may name other
processes than the caller); ``get_members``/``which_groups`` read the scope's table
directly.  A process may join a group more than once and is listed once per join;
``leave`` removes one.  When a member exits it leaves every group of the scope.
"""

from __future__ import annotations

import weakref
from typing import Any

from .._core import Pid, Process, Ref, current_node, demonitor, monitor
from .._core import self as _self
from ._child_spec import ChildSpec
from ._gen_server import GenServer, NoReply, Reply
from ._tables import live_table

__all__ = ["pg"]

DEFAULT_SCOPE = "pg"


class _Scope:
    __slots__ = ("name", "owner", "node", "groups", "monitors", "__weakref__")

    def __init__(self, name: str, owner: Pid) -> None:
        self.name = name
        self.owner = owner
        self.node = current_node()
        self.groups: dict[Any, list[Pid]] = {}
        self.monitors: dict[Pid, tuple[Ref, list[Any]]] = {}  # member -> (ref, its groups)


# name -> the running scope's table; weakly, as Registry's (see there): the scope
# process holds it, and an entry goes with the process even if terminate never runs.
_scopes: weakref.WeakValueDictionary[str, _Scope] = weakref.WeakValueDictionary()


def _scope(scope: Any, what: str) -> _Scope:
    s = live_table(_scopes, scope)
    if s is None:
        raise ValueError(
            f"{what}: pg scope {scope!r} is not running; start it with "
            f"pg.start_link({scope!r}) or put pg.child_spec({scope!r}) in a supervisor"
        )
    return s


def _pids(pids: Any, what: str) -> list[Pid]:
    if isinstance(pids, Pid):
        return [pids]
    if isinstance(pids, list | tuple) and all(isinstance(p, Pid) for p in pids):
        return list(pids)
    raise TypeError(f"{what}: expected a pid or a list of pids, got {pids!r}")


class _ScopeServer(GenServer[Any]):
    def init(self, name: str) -> Any:
        Process.flag("trap_exit", True)  # so that terminate runs when its parent exits
        old = live_table(_scopes, name)
        if old is not None:
            raise ValueError(f"pg scope {name!r} is already running as {old.owner!r}")
        s = _Scope(name, _self())
        _scopes[name] = s
        return s

    def handle_call(self, request: Any, from_: Any, s: _Scope) -> Any:
        op, group, pids = request
        if op == "join":
            members = s.groups.setdefault(group, [])
            for pid in pids:
                members.append(pid)
                entry = s.monitors.get(pid)
                if entry is None:
                    entry = s.monitors[pid] = (monitor(pid), [])
                entry[1].append(group)
            return Reply(None, s)
        # leave: one membership of each pid; False if none of them was a member
        members = s.groups.get(group, [])
        left = False
        for pid in pids:
            if pid in members:
                members.remove(pid)
                left = True
                ref, groups = s.monitors[pid]
                groups.remove(group)
                if not groups:
                    del s.monitors[pid]
                    demonitor(ref, flush=True)
        if not members:
            s.groups.pop(group, None)
        return Reply(left, s)

    def handle_info(self, msg: Any, s: _Scope) -> Any:
        if type(msg) is tuple and len(msg) == 5 and msg[0] == "DOWN":
            pid = msg[3]
            entry = s.monitors.get(pid)
            if entry is not None and entry[0] == msg[1]:
                del s.monitors[pid]
                for group in set(entry[1]):
                    members = [p for p in s.groups.get(group, ()) if p != pid]
                    if members:
                        s.groups[group] = members
                    else:
                        s.groups.pop(group, None)
            return NoReply(s)
        return super().handle_info(msg, s)

    def terminate(self, reason: Any, s: Any) -> None:
        if isinstance(s, _Scope) and _scopes.get(s.name) is s:
            del _scopes[s.name]


class pg:  # noqa: N801 - named after Erlang's module
    """Erlang's ``pg`` (see the module docs).  Every function takes ``scope=`` (default
    ``"pg"``)."""

    @staticmethod
    async def start_link(scope: str = DEFAULT_SCOPE) -> Pid:
        """Start a scope process linked to the caller (registered under ``scope``)."""
        if not isinstance(scope, str):
            raise TypeError(f"pg.start_link: scope must be a str, got {scope!r}")
        pid = await _ScopeServer.start_link(scope, name=scope)
        assert pid is not None
        return pid

    @staticmethod
    def child_spec(scope: str = DEFAULT_SCOPE) -> ChildSpec:
        """Spec to run a scope in a supervisor."""

        async def start() -> Pid:
            return await pg.start_link(scope)

        return ChildSpec(("pg", scope), start)

    @staticmethod
    async def join(
        group: Any, pids: Pid | list[Pid] | None = None, *, scope: str = DEFAULT_SCOPE
    ) -> None:
        """Add ``pids`` (default: the caller) to ``group``."""
        s = _scope(scope, "pg.join")
        hash(group)
        members = _pids(_self() if pids is None else pids, "pg.join")
        await GenServer.call(s.owner, ("join", group, members))

    @staticmethod
    async def leave(
        group: Any, pids: Pid | list[Pid] | None = None, *, scope: str = DEFAULT_SCOPE
    ) -> bool:
        """Remove one membership of each of ``pids`` (default: the caller) from
        ``group``; False if none was a member."""
        s = _scope(scope, "pg.leave")
        members = _pids(_self() if pids is None else pids, "pg.leave")
        return bool(await GenServer.call(s.owner, ("leave", group, members)))

    @staticmethod
    def get_members(group: Any, *, scope: str = DEFAULT_SCOPE) -> list[Pid]:
        """The members of ``group`` (a pid once per join), oldest first."""
        s = _scope(scope, "pg.get_members")
        return list(s.groups.get(group, ()))

    @staticmethod
    def get_local_members(group: Any, *, scope: str = DEFAULT_SCOPE) -> list[Pid]:
        """The members of ``group`` that run on this node."""
        node = current_node().name
        return [p for p in pg.get_members(group, scope=scope) if p.node == node]

    @staticmethod
    def which_groups(*, scope: str = DEFAULT_SCOPE) -> list[Any]:
        """The groups that have members."""
        return list(_scope(scope, "pg.which_groups").groups)

    members = get_members
