"""Round trips of arbitrary terms, and random or mutated bytes: only clean rejections."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from livelong import Pid
from livelong.dist._etf import BadTerm, Codec, decode, encode
from livelong.dist._terms import Atom, BitBinary, ExportFun, ImproperList, Port
from livelong.lowlevel import ref_from_parts

CODEC = Codec("py@host", 1)
GOLDEN = [
    bytes.fromhex(line.split("  ", 1)[0])
    for line in Path(__file__).with_name("golden_etf.txt").read_text().splitlines()
]

names = st.text(min_size=0, max_size=20)
atoms = names.filter(lambda n: n not in ("true", "false", "nil")).map(Atom)
nodes = st.sampled_from(["erl@host", "py@other", "a@b"])
u32 = st.integers(0, 2**32 - 1)
scalars = st.one_of(
    st.integers(-(2**300), 2**300),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.binary(max_size=30).filter(lambda b: _not_utf8(b)),
    atoms,
    st.sampled_from([None, True, False]),
    st.builds(Pid, nodes, u32, u32, u32),
    st.builds(lambda n, i, c: ref_from_parts(n, i, c), nodes, st.integers(0, 2**96 - 1), u32),
    st.builds(Port, nodes, st.integers(0, 2**64 - 1), u32),
    st.builds(ExportFun, atoms, atoms, st.integers(0, 255)),
    st.builds(BitBinary, st.binary(min_size=1, max_size=8), st.integers(1, 8)),
)
hashable = st.recursive(scalars, lambda inner: st.tuples(inner, inner), max_leaves=6)


def _not_utf8(b: bytes) -> bool:
    try:
        b.decode()
    except UnicodeDecodeError:
        return True
    return False


terms = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.lists(inner, max_size=5).map(tuple),
        st.dictionaries(hashable, inner, max_size=4),
        st.builds(
            ImproperList,
            st.lists(inner, min_size=1, max_size=3),
            st.one_of(scalars.filter(lambda x: x != []), st.tuples(inner)),
        ),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(terms)
def test_any_term_round_trips(term):
    data = encode(term, CODEC)
    value, used = decode(data, CODEC)
    assert used == len(data)
    assert value == term
    assert encode(value, CODEC) == data


def _only_clean_rejections(data: bytes) -> None:
    try:
        _, used = decode(data, CODEC)
    except BadTerm:
        return
    assert 0 < used <= len(data)


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_are_rejected_cleanly(data):
    _only_clean_rejections(b"\x83" + data)
    _only_clean_rejections(data)


@settings(max_examples=1000, deadline=None)
@given(
    st.sampled_from(GOLDEN),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4),
)
def test_mutated_golden_bytes_are_rejected_cleanly(data, edits):
    buf = bytearray(data)
    for where, byte in edits:
        buf[where % len(buf)] = byte
    _only_clean_rejections(bytes(buf))


@settings(max_examples=300, deadline=None)
@given(terms, st.data())
def test_truncated_encodings_are_rejected_cleanly(term, data):
    raw = encode(term, CODEC)
    cut = data.draw(st.integers(0, len(raw) - 1))
    try:
        decode(raw[:cut], CODEC)
    except BadTerm:
        return
    raise AssertionError("a truncated term decoded")
