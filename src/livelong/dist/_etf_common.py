"""What the ETF decoder (:mod:`._etf`) and encoder (:mod:`._etf_encode`) share: the
errors, the :class:`Codec`, the hashable stand-ins for keys Python cannot hash, and
the precompiled Structs."""

from __future__ import annotations

import struct
from typing import Any

from .. import Pid
from ._terms import Atom

__all__ = ["BadTerm", "Codec", "EncodeError", "IncompleteTerm", "KeyList", "KeyMap"]

VERSION = 131


class BadTerm(ValueError):
    """Bytes that are not a valid term: ``offset`` says where."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (at offset {offset})")
        self.offset = offset


class IncompleteTerm(BadTerm):
    """The buffer ends before the term does (more bytes may complete it)."""


class EncodeError(ValueError):
    """A Python value that has no External Term Format."""


class KeyList(tuple):  # type: ignore[type-arg]
    """A list used as a map key (Python lists cannot be): encoded as a list."""

    __slots__ = ()


class KeyMap(tuple):  # type: ignore[type-arg]
    """A map used as a map key: its ``(key, value)`` pairs, encoded as a map."""

    __slots__ = ()


class Codec:
    """The local node's name and creation, and the limits on decoded terms.

    Pids, refs and ports of ``node`` made by the kernel with creation 0 (before the
    node had one) are sent with ``creation``; a pid of ``node`` and ``creation`` from
    the wire is the live local process when there is one.  One codec per connection:
    it is not thread-safe.
    """

    __slots__ = (
        "node",
        "creation",
        "max_depth",
        "max_new_atoms",
        "max_bignum_bytes",
        "max_uncompressed",
        "_atoms_left",
        "_pid_bytes",
    )

    def __init__(
        self,
        node: str = "nonode@nohost",
        creation: int = 0,
        *,
        max_depth: int = 200,
        max_new_atoms: int = 10_000,
        max_bignum_bytes: int = 2048,
        max_uncompressed: int = 64 << 20,
    ) -> None:
        self.node = node
        self.creation = creation
        self.max_depth = max_depth
        self.max_new_atoms = max_new_atoms
        self.max_bignum_bytes = max_bignum_bytes
        self.max_uncompressed = max_uncompressed
        self._atoms_left = max_new_atoms
        self._pid_bytes: dict[Pid, bytes] = {}  # the encodings of pids seen lately

    def __repr__(self) -> str:
        return f"Codec({self.node!r}, {self.creation})"


_U8 = struct.Struct(">B")
_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")
_I32 = struct.Struct(">i")
_U64 = struct.Struct(">Q")
_F64 = struct.Struct(">d")
_U32x2 = struct.Struct(">II")
_U32x3 = struct.Struct(">III")
_U64U32 = struct.Struct(">QI")
_U32U8 = struct.Struct(">IB")
_U32x2U8 = struct.Struct(">IIB")
_TAG_U32 = struct.Struct(">BI")
_TAG_I32 = struct.Struct(">Bi")
_TAG_F64 = struct.Struct(">Bd")
_TAG_U16 = struct.Struct(">BH")
_TAG_U32_U8 = struct.Struct(">BIB")
_TAG_U8_U8 = struct.Struct(">BBB")

_CACHE_MAX = 100_000

_SPECIAL: dict[str, Any] = {"true": True, "false": False, "nil": None}
_STRUCT = Atom("__struct__")
_WORDS = [struct.Struct(f">{n}I") for n in range(6)]
