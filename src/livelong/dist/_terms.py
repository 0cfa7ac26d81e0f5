"""The Python types of the Erlang terms that Python lacks.

* :class:`Atom`: an interned, slotted object (not a ``str``), so ``Atom("ok") !=
  "ok"`` and a map may hold both as keys.  ``Atom(name)`` always returns the same
  object for the same name while it is alive, so atoms compare and hash by identity
  at C speed.  The first :data:`STRONG_ATOMS` names are kept for good; further names
  are held weakly (an atom flood from the network is freed with the terms holding
  it).  ``str(atom)`` is the name; ``match`` works with ``case Atom("ok"):``.
* :class:`ImproperList`: ``[1, 2 | tail]`` as ``ImproperList([1, 2], tail)``.
* :class:`Port`: a port identifier of some node.
* :class:`Fun` and :class:`BitBinary`: kept byte for byte, sent back unchanged;
  :class:`ExportFun` (``fun m:f/a``) by its three parts.
* The struct registry: :func:`register_struct` maps a dataclass to a map with a
  ``__struct__`` key (Elixir's structs), explicitly, one class at a time.

>>> Atom("ok") is Atom("ok"), Atom("ok") == "ok", str(Atom("ok"))
(True, False, 'ok')
>>> Atom("ok")
Atom('ok')
>>> ImproperList([1], Atom("tail"))
ImproperList([1], Atom('tail'))
"""

from __future__ import annotations

import dataclasses
import weakref
from typing import Any

__all__ = [
    "Atom",
    "BitBinary",
    "ExportFun",
    "Fun",
    "ImproperList",
    "Port",
    "STRONG_ATOMS",
    "register_struct",
    "struct_class",
    "struct_name",
    "unregister_struct",
]

# How many atom names are interned for good; beyond that atoms are held weakly.
STRONG_ATOMS = 65536
_strong: dict[str, Atom] = {}
_weak: weakref.WeakValueDictionary[str, Atom] = weakref.WeakValueDictionary()


class Atom:
    """An Erlang atom: ``Atom("ok")``.  Interned: equal atoms are the same object."""

    __slots__ = ("name", "__weakref__")
    __match_args__ = ("name",)

    name: str

    def __new__(cls, name: str) -> Atom:
        atom = _strong.get(name)
        if atom is not None:
            return atom
        atom = _weak.get(name)
        if atom is not None:
            return atom
        if type(name) is not str:
            if isinstance(name, str):
                name = str.__str__(name)
            else:
                raise TypeError(f"an atom's name is a str, not {type(name).__name__}")
        atom = object.__new__(cls)
        object.__setattr__(atom, "name", name)
        if len(_strong) < STRONG_ATOMS:
            _strong[name] = atom
        else:
            _weak[name] = atom
        return atom

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("atoms are immutable")

    def __repr__(self) -> str:
        return f"Atom({self.name!r})"

    def __str__(self) -> str:
        return self.name

    def __lt__(self, other: Atom) -> bool:
        if not isinstance(other, Atom):
            return NotImplemented
        return self.name < other.name

    def __reduce__(self) -> Any:
        return (Atom, (self.name,))

    def __copy__(self) -> Atom:
        return self

    def __deepcopy__(self, memo: Any) -> Atom:
        return self


class ImproperList:
    """A list whose tail is not ``[]``: ``[1, 2 | tail]`` is
    ``ImproperList([1, 2], tail)`` (``items`` is never empty)."""

    __slots__ = ("items", "tail")
    __match_args__ = ("items", "tail")

    def __init__(self, items: list[Any], tail: Any) -> None:
        self.items = items
        self.tail = tail

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImproperList):
            return NotImplemented
        return self.items == other.items and self.tail == other.tail

    def __hash__(self) -> int:
        return hash((tuple(self.items), self.tail))

    def __repr__(self) -> str:
        return f"ImproperList({self.items!r}, {self.tail!r})"


@dataclasses.dataclass(frozen=True, slots=True)
class Port:
    """A port of ``node``: ``#Port<N.id>``."""

    node: str
    id: int
    creation: int = 0

    def __repr__(self) -> str:
        return f"Port({self.node!r}, {self.id}, {self.creation})"


@dataclasses.dataclass(frozen=True, slots=True)
class Fun:
    """An Erlang fun (NEW_FUN_EXT), kept as its exact bytes (tag included) so it
    goes back to the BEAM unchanged.  It cannot be called from Python."""

    data: bytes

    def __repr__(self) -> str:
        return f"Fun(<{len(self.data)} bytes>)"


@dataclasses.dataclass(frozen=True, slots=True)
class ExportFun:
    """``fun module:function/arity``."""

    module: Atom
    function: Atom
    arity: int


@dataclasses.dataclass(frozen=True, slots=True)
class BitBinary:
    """A binary whose last byte holds only ``bits`` bits (1-8), kept byte for byte."""

    data: bytes
    bits: int


# The struct registry: class <-> struct name (an Elixir module name such as
# "Elixir.User").  Explicit registration only: a map from the network never names a
# Python class that was not registered.
_struct_names: dict[type, Atom] = {}
_struct_classes: dict[Atom, type] = {}


def register_struct(cls: type, name: str | None = None) -> type:
    """Send instances of the dataclass ``cls`` as maps ``%{__struct__: name, field:
    value...}`` (field names as atoms) and decode such maps back into ``cls``.
    ``name`` defaults to ``"Elixir." + cls.__name__``.  Returns ``cls``, so it
    can decorate a class.

    >>> @dataclasses.dataclass
    ... class User:
    ...     name: str
    >>> register_struct(User, name="Elixir.User") is User
    True
    >>> struct_name(User), struct_class(Atom("Elixir.User")) is User
    (Atom('Elixir.User'), True)
    >>> unregister_struct(User)
    """
    if not dataclasses.is_dataclass(cls) or not isinstance(cls, type):
        raise TypeError(f"register_struct takes a dataclass, not {cls!r}")
    atom = Atom(name if name is not None else "Elixir." + cls.__name__)
    old = _struct_classes.get(atom)
    if old is not None and old is not cls:
        raise ValueError(f"struct {atom.name} is already registered for {old!r}")
    _struct_names[cls] = atom
    _struct_classes[atom] = cls
    return cls


def unregister_struct(cls: type) -> None:
    """Forget ``cls``'s registration."""
    atom = _struct_names.pop(cls, None)
    if atom is not None:
        _struct_classes.pop(atom, None)


def struct_name(cls: type) -> Atom | None:
    """The struct name ``cls`` is registered under, or None."""
    return _struct_names.get(cls)


def struct_class(name: Atom) -> type | None:
    """The class registered for the struct ``name``, or None."""
    return _struct_classes.get(name)
