"""The External Term Format (``erlang:term_to_binary``), sans-IO: bytes in, terms out.

``encode(term, codec)`` returns the bytes of one term with its version byte 131;
``decode(data, codec)`` returns ``(term, bytes_used)``, so a buffer may hold more
after the term.  A :class:`Codec` names the local node and its creation (both go into
the pids, refs and ports of this node) and holds the limits against hostile input.

Values, both ways (Erlang → Python → Erlang):

==========================================  ==========================  ====================
Erlang (tag)                                Python                      encoded back as
==========================================  ==========================  ====================
integer (97, 98, 110, 111; bignums)         ``int``                     smallest tag
float (NEW_FLOAT 70; old FLOAT 99)          ``float`` (finite only)     NEW_FLOAT
binary (109), valid UTF-8                   ``str``                     BINARY
binary (109), not UTF-8                     ``bytes``                   BINARY
bit binary (77)                             ``BitBinary``, as is        BIT_BINARY
atom (118, 119; old 100, 115)               ``Atom``                    (SMALL_)ATOM_UTF8
``true``/``false``/``nil``                  ``True``/``False``/``None`` atoms
tuple (104, 105)                            ``tuple``                   (LARGE_)SMALL_TUPLE
``[]`` (106), list (108)                    ``list``                    NIL, LIST
charlist (STRING 107)                       ``list`` of ints            STRING (a list of
                                                                        ints 0-255, ≤ 65535)
improper list (108 with a tail)             ``ImproperList``            LIST + tail
map (116), any keys                         ``dict``                    MAP, same order
map with a registered ``__struct__``        that dataclass              MAP
pid (NEW_PID 88; old 103)                   ``Pid`` (the live process   NEW_PID
                                            for a local one)
reference (NEWER_REFERENCE 90; 114, 101)    ``Ref`` (local ones are     NEWER_REFERENCE
                                            the original ref)           (3-5 words)
port (NEW_PORT 89, V4_PORT 120; old 102)    ``Port``                    NEW_PORT / V4_PORT
fun (NEW_FUN 112)                           ``Fun``, its exact bytes    the same bytes
export fun (113)                            ``ExportFun``               EXPORT
compressed (80, decode only)                the term inside             --
==========================================  ==========================  ====================

Python ``bytes``, ``bytearray`` and ``memoryview`` are sent as binaries, so valid
UTF-8 ``bytes`` come back as ``str``: Elixir does not tell strings from binaries
either.  A map key that Python cannot hash (a list, a map) is decoded as a
:class:`KeyList` or :class:`KeyMap` (hashable, encoded back as a list or a map).
A ref of 4 or 5 words whose high words are zero is encoded back with 3 words (the
BEAM compares the two as equal).

Hostile input gives a :class:`BadTerm` naming what and where, never another error:
nesting deeper than ``max_depth``, more than ``max_new_atoms`` atoms never seen
before in one term, bignums over ``max_bignum_bytes``, compressed terms that inflate
to more than ``max_uncompressed`` (checked while inflating).  A buffer that ends
before its term does raises :class:`IncompleteTerm` (a ``BadTerm``), also when a
length or arity needs more bytes than there are.

>>> codec = Codec("py@host", 1)
>>> data = encode((Atom("ok"), "hello", [1, 2], {1: None}), codec)
>>> decode(data, codec)
((Atom('ok'), 'hello', [1, 2], {1: None}), 34)
>>> decode(data[:-2], codec)
Traceback (most recent call last):
...
livelong.dist._etf_common.IncompleteTerm: atom needs 4 bytes, 2 left (at offset 30)
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from typing import Any

from .. import Pid, Ref
from ..lowlevel import RemoteRef, local_process, pid_for, ref_from_parts
from ._etf_common import (
    _CACHE_MAX,
    _F64,
    _I32,
    _SPECIAL,
    _STRUCT,
    _U16,
    _U32,
    _U32U8,
    _U64U32,
    _WORDS,
    VERSION,
    BadTerm,
    Codec,
    EncodeError,
    IncompleteTerm,
    KeyList,
    KeyMap,
    _U32x2,
    _U32x2U8,
    _U32x3,
)
from ._etf_encode import encode, encode_into
from ._terms import Atom, BitBinary, ExportFun, Fun, ImproperList, Port, _struct_classes

__all__ = [
    "BadTerm",
    "Codec",
    "EncodeError",
    "IncompleteTerm",
    "KeyList",
    "KeyMap",
    "decode",
    "decode_from",
    "encode",
    "encode_into",
]

# ---------------------------------------------------------------------------------
# decoding: one function per tag, ``f(data, pos, codec, depth) -> (value, pos)`` with
# ``pos`` just after the tag.  Single bytes are read by indexing and fixed fields by
# precompiled Structs, which raise IndexError / struct.error past the end (turned
# into IncompleteTerm by ``decode``); every slice checks its end explicitly.
# ---------------------------------------------------------------------------------

_Dec = Callable[[bytes, int, Codec, int], tuple[Any, int]]


def _d_unknown(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    raise BadTerm(f"unknown tag {data[pos - 1]}", pos - 1)


_DEC: list[_Dec] = [_d_unknown] * 256

# raw atom bytes -> value, one table per encoding of the name
_utf8_atoms: dict[bytes, Any] = {k.encode(): v for k, v in _SPECIAL.items()}
_latin1_atoms: dict[bytes, Any] = dict(_utf8_atoms)
_node_names: dict[bytes, str] = {}


def _need(data: bytes, end: int, what: str, pos: int) -> None:
    if end > len(data):
        raise IncompleteTerm(f"{what} needs {end - pos} bytes, {len(data) - pos} left", pos)


def _new_atom(raw: bytes, latin1: bool, codec: Codec, pos: int) -> Any:
    try:
        name = raw.decode("latin-1" if latin1 else "utf-8")
    except UnicodeDecodeError:
        raise BadTerm("atom name is not UTF-8", pos) from None
    if len(name) > 255:
        raise BadTerm(f"atom of {len(name)} characters (at most 255)", pos)
    if name in _SPECIAL:
        value = _SPECIAL[name]
    else:
        codec._atoms_left -= 1
        if codec._atoms_left < 0:
            raise BadTerm(f"more than {codec.max_new_atoms} new atoms in one term", pos)
        value = Atom(name)
    table = _latin1_atoms if latin1 else _utf8_atoms
    if len(table) < _CACHE_MAX:
        table[raw] = value
    return value


def _d_small_atom_utf8(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    start = pos + 1
    end = start + data[pos]
    if end > len(data):
        _need(data, end, "atom", pos)
    raw = data[start:end]
    a = _utf8_atoms.get(raw, _d_small_atom_utf8)
    if a is _d_small_atom_utf8:
        a = _new_atom(raw, False, codec, pos)
    return a, end


def _d_atom_utf8(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    start = pos + 2
    end = start + _U16.unpack_from(data, pos)[0]
    _need(data, end, "atom", pos)
    raw = data[start:end]
    a = _utf8_atoms.get(raw, _d_atom_utf8)
    if a is _d_atom_utf8:
        a = _new_atom(raw, False, codec, pos)
    return a, end


def _d_atom_latin1(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    start = pos + 2
    end = start + _U16.unpack_from(data, pos)[0]
    _need(data, end, "atom", pos)
    raw = data[start:end]
    a = _latin1_atoms.get(raw, _d_atom_latin1)
    if a is _d_atom_latin1:
        a = _new_atom(raw, True, codec, pos)
    return a, end


def _d_small_atom_latin1(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    start = pos + 1
    end = start + data[pos]
    _need(data, end, "atom", pos)
    raw = data[start:end]
    a = _latin1_atoms.get(raw, _d_small_atom_latin1)
    if a is _d_small_atom_latin1:
        a = _new_atom(raw, True, codec, pos)
    return a, end


def _node(data: bytes, pos: int, codec: Codec) -> tuple[str, int]:
    """The node name of a pid, ref or port: an atom, as a ``str``."""
    tag = data[pos]
    if tag == 119 or tag == 115:
        start = pos + 2
        end = start + data[pos + 1]
    elif tag == 118 or tag == 100:
        start = pos + 3
        end = start + _U16.unpack_from(data, pos + 1)[0]
    else:
        raise BadTerm(f"a node name must be an atom, not tag {tag}", pos)
    if end > len(data):
        _need(data, end, "node name", pos)
    raw = data[start:end]
    name = _node_names.get(raw)
    if name is None:
        try:
            name = raw.decode("utf-8" if tag > 115 else "latin-1")
        except UnicodeDecodeError:
            raise BadTerm("node name is not UTF-8", pos) from None
        if len(_node_names) < _CACHE_MAX:
            _node_names[raw] = name
    return name, end


def _d_small_int(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    return data[pos], pos + 1


def _d_int(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    return _I32.unpack_from(data, pos)[0], pos + 4


def _big(data: bytes, pos: int, n: int, codec: Codec, start: int) -> tuple[Any, int]:
    if n > codec.max_bignum_bytes:
        raise BadTerm(f"bignum of {n} bytes (at most {codec.max_bignum_bytes})", start)
    sign = data[pos]
    end = pos + 1 + n
    _need(data, end, "bignum", start)
    v = int.from_bytes(data[pos + 1 : end], "little")
    return (-v if sign else v), end


def _d_small_big(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    return _big(data, pos + 1, data[pos], codec, pos)


def _d_large_big(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    return _big(data, pos + 4, _U32.unpack_from(data, pos)[0], codec, pos)


def _d_new_float(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    return _F64.unpack_from(data, pos)[0], pos + 8


def _d_old_float(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    end = pos + 31
    _need(data, end, "float", pos)
    try:
        return float(data[pos:end].rstrip(b"\x00")), end
    except ValueError:
        raise BadTerm("FLOAT_EXT is not a float", pos) from None


def _elements(
    data: bytes, pos: int, n: int, codec: Codec, depth: int, start: int
) -> tuple[list[Any], int]:
    if n > len(data) - pos:
        raise IncompleteTerm(f"{n} elements need more than the {len(data) - pos} bytes left", start)
    if depth >= codec.max_depth:
        raise BadTerm(f"terms nested more than {codec.max_depth} deep", start)
    depth += 1
    dec = _DEC
    items: list[Any] = []
    append = items.append
    for _ in range(n):
        v, pos = dec[data[pos]](data, pos + 1, codec, depth)
        append(v)
    return items, pos


def _d_small_tuple(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    n = data[pos]
    if n == 2 or n == 3:
        if depth >= codec.max_depth:
            raise BadTerm(f"terms nested more than {codec.max_depth} deep", pos)
        depth += 1
        dec = _DEC
        a, p = dec[data[pos + 1]](data, pos + 2, codec, depth)
        b, p = dec[data[p]](data, p + 1, codec, depth)
        if n == 2:
            return (a, b), p
        c, p = dec[data[p]](data, p + 1, codec, depth)
        return (a, b, c), p
    items, pos = _elements(data, pos + 1, n, codec, depth, pos)
    return tuple(items), pos


def _d_large_tuple(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    items, pos = _elements(data, pos + 4, _U32.unpack_from(data, pos)[0], codec, depth, pos)
    return tuple(items), pos


def _d_nil(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    return [], pos


def _d_string(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    end = pos + 2 + _U16.unpack_from(data, pos)[0]
    _need(data, end, "charlist", pos)
    return list(data[pos + 2 : end]), end


def _d_list(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    n = _U32.unpack_from(data, pos)[0]
    start = pos
    pos += 4
    if n >= len(data) - pos:
        raise IncompleteTerm(
            f"a list of {n} needs more than the {len(data) - pos} bytes left", start
        )
    if depth >= codec.max_depth:
        raise BadTerm(f"terms nested more than {codec.max_depth} deep", start)
    depth += 1
    dec = _DEC
    items: list[Any] = []
    append = items.append
    for _ in range(n):
        v, pos = dec[data[pos]](data, pos + 1, codec, depth)
        append(v)
    if data[pos] == 106:
        return items, pos + 1
    tail, pos = dec[data[pos]](data, pos + 1, codec, depth)
    if not items:
        return tail, pos
    return ImproperList(items, tail), pos


def _d_binary(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    end = pos + 4 + _U32.unpack_from(data, pos)[0]
    if end > len(data):
        _need(data, end, "binary", pos)
    raw = data[pos + 4 : end]
    try:
        return raw.decode(), end
    except UnicodeDecodeError:
        return raw, end


def _d_bit_binary(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    n, bits = _U32U8.unpack_from(data, pos)
    end = pos + 5 + n
    _need(data, end, "bit binary", pos)
    if not 1 <= bits <= 8 or n == 0:
        raise BadTerm(f"bit binary with {bits} bits in its last of {n} bytes", pos)
    return BitBinary(data[pos + 5 : end], bits), end


def _freeze(key: Any) -> Any:
    if isinstance(key, list):
        return KeyList(_freeze(k) for k in key)
    if isinstance(key, dict):
        return KeyMap((_freeze(k), _freeze(v)) for k, v in key.items())
    if isinstance(key, tuple):
        return tuple(_freeze(k) for k in key)
    if isinstance(key, ImproperList):
        return ImproperList(KeyList(_freeze(k) for k in key.items), _freeze(key.tail))  # type: ignore[arg-type]
    return key


def _d_map(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    n = _U32.unpack_from(data, pos)[0]
    start = pos
    pos += 4
    if 2 * n > len(data) - pos:
        raise IncompleteTerm(f"a map of {n} pairs needs more than {len(data) - pos} bytes", start)
    if depth >= codec.max_depth:
        raise BadTerm(f"terms nested more than {codec.max_depth} deep", start)
    depth += 1
    dec = _DEC
    m: dict[Any, Any] = {}
    for _ in range(n):
        k, pos = dec[data[pos]](data, pos + 1, codec, depth)
        v, pos = dec[data[pos]](data, pos + 1, codec, depth)
        try:
            m[k] = v
        except TypeError:
            m[_freeze(k)] = v
    if _struct_classes and _STRUCT in m:
        cls = _struct_classes.get(m[_STRUCT])
        if cls is not None:
            fields = {k.name: v for k, v in m.items() if k is not _STRUCT and type(k) is Atom}
            if len(fields) == n - 1:
                try:
                    return cls(**fields), pos
                except TypeError:
                    pass
    return m, pos


def _local_pid(node: str, id: int, serial: int, creation: int, codec: Codec) -> Pid:
    pid = pid_for(node, id, serial, creation)
    if type(pid) is Pid and node == codec.node and creation == codec.creation and creation:
        alt = pid_for(node, id, serial, 0)  # a local process made before the creation
        if type(alt) is not Pid:
            return alt
    return pid


# remote pids and refs by their exact bytes (node atom included): a connection sees the
# same few again and again.  Local ones are never cached (a pid must find its process).
_by_bytes: dict[bytes, Any] = {}


def _d_new_pid(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    if data[pos] == 119:
        end = pos + 14 + data[pos + 1]
        pid = _by_bytes.get(data[pos:end])
        if pid is not None and end <= len(data):
            if pid.node != codec.node:
                return pid, end
            proc = local_process(pid)  # a pid of this node: its live process, if any
            if proc is not None:
                return proc, end
            return _local_pid(pid.node, pid.id, pid.serial, pid.creation, codec), end
    node, p = _node(data, pos, codec)
    id, serial, creation = _U32x3.unpack_from(data, p)
    pid = _local_pid(node, id, serial, creation, codec)
    if len(_by_bytes) >= _CACHE_MAX:
        _by_bytes.clear()
    _by_bytes[data[pos : p + 12]] = pid if type(pid) is Pid else Pid(node, id, serial, creation)
    return pid, p + 12


def _d_old_pid(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    node, pos = _node(data, pos, codec)
    id, serial, creation = _U32x2U8.unpack_from(data, pos)
    return _local_pid(node, id, serial, creation, codec), pos + 9


def _ref(node: str, words: tuple[int, ...], creation: int, codec: Codec) -> Ref:
    id = 0
    for i, w in enumerate(words):
        id |= w << (32 * i)
    if node == codec.node and creation == codec.creation:
        ref = ref_from_parts(node, id, 0)  # a ref of this node: the original one
        if type(ref) is not RemoteRef or not creation:
            return ref
    return ref_from_parts(node, id, creation)


def _d_newer_ref(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    start = pos
    if data[pos + 2] == 119:
        end = pos + 8 + data[pos + 3] + 4 * data[pos + 1]
        key = data[pos:end]
        ref = _by_bytes.get(key)
        if ref is not None and end <= len(data) and ref.node != codec.node:
            return ref, end
    n = _U16.unpack_from(data, pos)[0]
    if not 1 <= n <= 5:
        raise BadTerm(f"reference of {n} words (1-5)", start)
    node, pos = _node(data, pos + 2, codec)
    creation = _U32.unpack_from(data, pos)[0]
    end = pos + 4 + 4 * n
    _need(data, end, "reference", start)
    ref = _ref(node, _WORDS[n].unpack_from(data, pos + 4), creation, codec)
    if node != codec.node:
        if len(_by_bytes) >= _CACHE_MAX:
            _by_bytes.clear()
        _by_bytes[data[start:end]] = ref
    return ref, end


def _d_new_ref(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    start = pos
    n = _U16.unpack_from(data, pos)[0]
    if not 1 <= n <= 5:
        raise BadTerm(f"reference of {n} words (1-5)", start)
    node, pos = _node(data, pos + 2, codec)
    creation = data[pos]
    end = pos + 1 + 4 * n
    _need(data, end, "reference", start)
    words = _WORDS[n].unpack_from(data, pos + 1)
    return _ref(node, words, creation, codec), end


def _d_old_ref(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    node, pos = _node(data, pos, codec)
    id, creation = _U32U8.unpack_from(data, pos)
    return _ref(node, (id,), creation, codec), pos + 5


def _d_new_port(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    node, pos = _node(data, pos, codec)
    id, creation = _U32x2.unpack_from(data, pos)
    return Port(node, id, creation), pos + 8


def _d_v4_port(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    node, pos = _node(data, pos, codec)
    id, creation = _U64U32.unpack_from(data, pos)
    return Port(node, id, creation), pos + 12


def _d_old_port(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    node, pos = _node(data, pos, codec)
    id, creation = _U32U8.unpack_from(data, pos)
    return Port(node, id, creation), pos + 5


def _d_new_fun(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    size = _U32.unpack_from(data, pos)[0]
    if size < 4 + 1 + 16 + 4 + 4:
        raise BadTerm(f"fun of {size} bytes is too short", pos)
    end = pos + size
    _need(data, end, "fun", pos)
    return Fun(bytes(data[pos - 1 : end])), end


def _d_export(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
    start = pos
    parts = []
    for _ in range(3):
        v, pos = _DEC[data[pos]](data, pos + 1, codec, depth + 1)
        parts.append(v)
    m, fn, arity = parts
    if type(m) is not Atom or type(fn) is not Atom or type(arity) is not int:
        raise BadTerm("an export fun is fun Module:Function/Arity", start)
    return ExportFun(m, fn, arity), pos


def _d_refused(what: str) -> _Dec:
    def refuse(data: bytes, pos: int, codec: Codec, depth: int) -> tuple[Any, int]:
        raise BadTerm(what, pos - 1)

    return refuse


for _tag, _f in {
    97: _d_small_int,
    98: _d_int,
    110: _d_small_big,
    111: _d_large_big,
    70: _d_new_float,
    99: _d_old_float,
    119: _d_small_atom_utf8,
    118: _d_atom_utf8,
    100: _d_atom_latin1,
    115: _d_small_atom_latin1,
    104: _d_small_tuple,
    105: _d_large_tuple,
    106: _d_nil,
    107: _d_string,
    108: _d_list,
    109: _d_binary,
    77: _d_bit_binary,
    116: _d_map,
    88: _d_new_pid,
    103: _d_old_pid,
    90: _d_newer_ref,
    114: _d_new_ref,
    101: _d_old_ref,
    89: _d_new_port,
    120: _d_v4_port,
    102: _d_old_port,
    112: _d_new_fun,
    113: _d_export,
    80: _d_refused("a compressed term inside a term"),
    82: _d_refused("an atom cache reference, but no atom cache was negotiated"),
    121: _d_refused("LOCAL_EXT terms are not accepted from other nodes"),
    117: _d_refused("FUN_EXT (R7 funs) are not supported"),
}.items():
    _DEC[_tag] = _f


def _compressed(data: bytes, pos: int, codec: Codec) -> tuple[Any, int]:
    start = pos
    size = _U32.unpack_from(data, pos + 1)[0]
    if size > codec.max_uncompressed:
        raise BadTerm(f"compressed term of {size} bytes (at most {codec.max_uncompressed})", start)
    z = zlib.decompressobj()
    body = data[pos + 5 :]
    try:
        inner = z.decompress(body, size + 1)
    except zlib.error as e:
        raise BadTerm(f"bad compressed term: {e}", start) from None
    if len(inner) > size:
        raise BadTerm(f"compressed term inflates beyond its stated {size} bytes", start)
    if not z.eof:
        raise IncompleteTerm("compressed term is cut short", len(data))
    if len(inner) != size:
        raise BadTerm(f"compressed term inflates to {len(inner)} bytes, not {size}", start)
    used = len(body) - len(z.unused_data)
    if not inner:
        raise BadTerm("compressed term holds no term", start)
    try:
        value, end = _DEC[inner[0]](inner, 1, codec, 0)
    except (IndexError, struct.error):
        raise BadTerm("compressed term holds a truncated term", start) from None
    if end != size:
        raise BadTerm("compressed term holds trailing bytes", start)
    return value, pos + 5 + used


def decode_from(data: bytes, pos: int, codec: Codec) -> tuple[Any, int]:
    """Decode the term (with its version byte) at ``data[pos:]``: ``(term, end)``."""
    if type(data) is not bytes:
        data = bytes(data)
    codec._atoms_left = codec.max_new_atoms
    try:
        if data[pos] != VERSION:
            raise BadTerm(f"version byte {data[pos]}, not 131", pos)
        tag = data[pos + 1]
        if tag == 80:
            return _compressed(data, pos + 1, codec)
        return _DEC[tag](data, pos + 2, codec, 0)
    except BadTerm:
        raise
    except (IndexError, struct.error):
        raise IncompleteTerm(
            f"the term needs more than the {len(data)} bytes given", len(data)
        ) from None
    except RecursionError:
        raise BadTerm("terms nested too deep for the Python stack", pos) from None
    except Exception as e:  # never anything but BadTerm out of the decoder
        raise BadTerm(f"bad term ({type(e).__name__}: {e})", pos) from e


def decode(data: bytes, codec: Codec) -> tuple[Any, int]:
    """Decode one term (version byte 131 first): ``(term, bytes_used)``."""
    return decode_from(data, 0, codec)
