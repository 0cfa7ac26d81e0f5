"""Process identifiers and references.

A :class:`Pid` names a process for its whole life and after: it stays hashable,
orderable and printable once the process is gone.  A local pid keeps a direct
reference to its process record while the process lives (so ``send`` needs no
table lookup); the scheduler clears that reference at exit.
"""

from __future__ import annotations

import itertools
import weakref
from typing import Any

LOCAL_NODE = "nonode@nohost"


class Pid:
    """A process identifier, printed the Erlang way: ``#PID<0.84.0>``."""

    __slots__ = ("node", "id", "serial", "creation", "_proc")

    node: str
    id: int
    serial: int
    creation: int

    def __init__(
        self, node: str, id: int, serial: int = 0, creation: int = 0, proc: Any = None
    ) -> None:
        self.node = node
        self.id = id
        self.serial = serial
        self.creation = creation
        self._proc = proc

    def _key(self) -> tuple[str, int, int, int]:
        return (self.node, self.id, self.serial, self.creation)

    def __hash__(self) -> int:
        return self.id  # equal pids have equal ids; other fields only break ties

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(other) is not Pid:
            return NotImplemented
        return (
            self.id == other.id
            and self.serial == other.serial
            and self.node == other.node
            and self.creation == other.creation
        )

    def __lt__(self, other: Pid) -> bool:
        if type(other) is not Pid:
            return NotImplemented
        return self._order() < other._order()

    def __le__(self, other: Pid) -> bool:
        if type(other) is not Pid:
            return NotImplemented
        return self._order() <= other._order()

    def __gt__(self, other: Pid) -> bool:
        if type(other) is not Pid:
            return NotImplemented
        return self._order() > other._order()

    def __ge__(self, other: Pid) -> bool:
        if type(other) is not Pid:
            return NotImplemented
        return self._order() >= other._order()

    def _order(self) -> tuple[str, int, int, int]:
        # Erlang orders pids by node, then serial, then number.
        return (self.node, self.serial, self.id, self.creation)

    @property
    def node_index(self) -> int:
        """The first number of the printed form: 0 for a local pid."""
        from . import _scheduler

        return _scheduler.node_index(self.node)

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
    from . import _scheduler

    return _scheduler.pid_for(node, id, serial, creation)


_ref_counter = itertools.count(1)
_refs_by_parts: weakref.WeakValueDictionary[tuple[str, int, int], Ref] = (
    weakref.WeakValueDictionary()
)


class Ref:
    """A unique reference (``make_ref()``), printed as ``#Reference<0.0.0.42>``.

    Refs compare and hash by identity, which Python does in C: refs are dict keys on
    every monitor, alias and call, and a Python-level ``__hash__`` cost a tenth of a
    GenServer call.  Identity is also value equality because refs are interned:
    ``Ref(node, id, creation)`` with an explicit id (the way a decoder rebuilds a ref
    that came over the wire) returns the one live ref with those parts.
    """

    __slots__ = ("node", "id", "creation", "__weakref__")

    node: str
    id: int
    creation: int

    def __new__(cls, node: str = LOCAL_NODE, id: int | None = None, creation: int = 0) -> Ref:
        if id is not None:
            known = _refs_by_parts.get((node, id, creation))
            if known is not None:
                return known
        ref = object.__new__(cls)
        ref.node = node
        ref.id = next(_ref_counter) if id is None else id
        ref.creation = creation
        if id is not None:
            _refs_by_parts[(node, id, creation)] = ref
        return ref

    def __lt__(self, other: Ref) -> bool:
        if type(other) is not Ref:
            return NotImplemented
        return (self.node, self.id) < (other.node, other.id)

    def __repr__(self) -> str:
        from . import _scheduler

        idx = _scheduler.node_index(self.node)
        hi, lo = divmod(self.id, 1 << 32)
        return f"#Reference<{idx}.{hi >> 32}.{hi & 0xFFFFFFFF}.{lo}>"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        _refs_by_parts.setdefault((self.node, self.id, self.creation), self)  # rebuilds find us
        return (Ref, (self.node, self.id, self.creation))

    def __copy__(self) -> Ref:
        return self

    def __deepcopy__(self, memo: Any) -> Ref:
        return self
