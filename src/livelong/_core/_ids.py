"""Process identifiers and references.

A :class:`Pid` names a process for its whole life and after: it stays hashable,
orderable and printable once the process is gone.  The pid that ``spawn`` returns
is the process's record itself (the kernel's ``Proc``, a subclass), so ``send``
needs no table lookup and a spawn allocates one object, not two; a pid rebuilt
from its fields, or one of another node, is a plain :class:`Pid`.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import Any

from ._mfa import internal

internal(__file__)

LOCAL_NODE = "nonode@nohost"

# The node names this OS process has seen, numbered as Erlang prints them: the first
# number of ``#PID<0.84.0>`` is 0 for the local node.
_node_names: dict[str, int] = {LOCAL_NODE: 0}
_local_name = LOCAL_NODE


def node_index(node: str) -> int:
    """The number a pid of ``node`` prints first (0: this node)."""
    idx = _node_names.get(node)
    if idx is None:
        idx = _node_names[node] = len(_node_names)
    return idx


def local_node_name() -> str:
    """The name of the node running in this OS process (``nonode@nohost`` if none)."""
    return _local_name


def set_local_node(name: str | None) -> None:
    """Called by the node as it attaches (``name``) and detaches (None)."""
    global _local_name
    _local_name = LOCAL_NODE if name is None else name
    _node_names[_local_name] = 0


def _no_local_process(pid: Pid) -> Pid | None:
    return None


# How a pid rebuilt from its fields finds its live process: set by the scheduler, which
# sits above this module (a hook, not an import, so the two do not import each other).
find_local: Callable[[Pid], Pid | None] = _no_local_process


def pid_for(node: str, id: int, serial: int = 0, creation: int = 0) -> Pid:
    """The pid with these fields: the live process itself when it is local."""
    pid = Pid(node, id, serial, creation)
    proc = find_local(pid)
    return proc if proc is not None else pid


class Pid:
    """A process identifier, printed the Erlang way: ``#PID<0.84.0>``."""

    __slots__ = ("node", "id", "serial", "creation")

    node: str
    id: int
    serial: int
    creation: int

    def __init__(self, node: str, id: int, serial: int = 0, creation: int = 0) -> None:
        self.node = node
        self.id = id
        self.serial = serial
        self.creation = creation

    def _key(self) -> tuple[str, int, int, int]:
        return (self.node, self.id, self.serial, self.creation)

    def __hash__(self) -> int:
        return self.id  # equal pids have equal ids; other fields only break ties

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Pid):
            return NotImplemented
        return (
            self.id == other.id
            and self.serial == other.serial
            and self.node == other.node
            and self.creation == other.creation
        )

    def __lt__(self, other: Pid) -> bool:
        if not isinstance(other, Pid):
            return NotImplemented
        return self._order() < other._order()

    def __le__(self, other: Pid) -> bool:
        if not isinstance(other, Pid):
            return NotImplemented
        return self._order() <= other._order()

    def __gt__(self, other: Pid) -> bool:
        if not isinstance(other, Pid):
            return NotImplemented
        return self._order() > other._order()

    def __ge__(self, other: Pid) -> bool:
        if not isinstance(other, Pid):
            return NotImplemented
        return self._order() >= other._order()

    def _order(self) -> tuple[str, int, int, int]:
        # Erlang orders pids by node, then serial, then number.
        return (self.node, self.serial, self.id, self.creation)

    @property
    def node_index(self) -> int:
        """The first number of the printed form: 0 for a local pid."""
        return node_index(self.node)

    def __repr__(self) -> str:
        return f"#PID<{self.node_index}.{self.id}.{self.serial}>"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        # Pickling a pid (for copy.deepcopy of messages) keeps identity fields only.
        return (_rebuild_pid, (self.node, self.id, self.serial, self.creation))

    def __copy__(self) -> Pid:
        return self

    def __deepcopy__(self, memo: Any) -> Pid:
        return self


def _rebuild_pid(node: str, id: int, serial: int, creation: int) -> Pid:
    return pid_for(node, id, serial, creation)


_ref_counter = itertools.count(1)
_ref_numbers: weakref.WeakKeyDictionary[Ref, int] = weakref.WeakKeyDictionary()
_refs_by_parts: weakref.WeakValueDictionary[tuple[str, int, int], Ref] = (
    weakref.WeakValueDictionary()
)


class Ref:
    """A unique reference (``make_ref()``), printed as ``#Reference<0.0.0.42>``.

    A ref is made on every monitor, alias and call, so it is made in C: ``Ref()``
    runs no Python code (a Python constructor cost a twentieth of a GenServer call),
    and refs compare and hash by identity.  A local ref gets its number when the
    number is first read (to print it, order it or send it to another node); from
    then on :func:`ref_from_parts` with the same parts returns this very ref, so
    identity is also value equality.  Refs made elsewhere are :class:`RemoteRef`.
    """

    __slots__ = ("__weakref__",)

    @property
    def creation(self) -> int:
        return 0

    @property
    def node(self) -> str:
        return _local_name

    @property
    def id(self) -> int:
        n = _ref_numbers.get(self)
        if n is None:
            n = _ref_numbers[self] = next(_ref_counter)
            _refs_by_parts[(self.node, n, self.creation)] = self
        return n

    def __lt__(self, other: Ref) -> bool:
        if not isinstance(other, Ref):
            return NotImplemented
        return (self.node, self.id) < (other.node, other.id)

    def __repr__(self) -> str:
        idx = node_index(self.node)
        hi, lo = divmod(self.id, 1 << 32)
        return f"#Reference<{idx}.{hi >> 32}.{hi & 0xFFFFFFFF}.{lo}>"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        return (ref_from_parts, (self.node, self.id, self.creation))

    def __copy__(self) -> Ref:
        return self

    def __deepcopy__(self, memo: Any) -> Ref:
        return self


class RemoteRef(Ref):
    """A ref made on another node (or rebuilt from parts no live local ref has)."""

    __slots__ = ("_node", "_id", "_creation")

    def __init__(self, node: str, id: int, creation: int = 0) -> None:
        self._node = node
        self._id = id
        self._creation = creation

    @property
    def node(self) -> str:
        return self._node

    @property
    def id(self) -> int:
        return self._id

    @property
    def creation(self) -> int:
        return self._creation


def ref_from_parts(node: str, id: int, creation: int = 0) -> Ref:
    """The ref with these parts: the live one if there is one, else a new
    :class:`RemoteRef` that later lookups of the same parts return."""
    key = (node, id, creation)
    ref = _refs_by_parts.get(key)
    if ref is None:
        ref = _refs_by_parts[key] = RemoteRef(node, id, creation)
    return ref
