"""The golden table: exact bytes from a real erl, checked both ways."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from golden_etf_cases import CASES, OPAQUE, erl_available, erl_bytes  # noqa: E402

from livelong.dist._etf import Codec, IncompleteTerm, decode, encode  # noqa: E402

CODEC = Codec("py@host", 1)
TABLE = Path(__file__).with_name("golden_etf.txt")


def _table() -> dict[str, bytes]:
    rows = {}
    for line in TABLE.read_text().splitlines():
        hexbytes, expr = line.split("  ", 1)
        rows[expr] = bytes.fromhex(hexbytes)
    return rows


ROWS = _table()
IDS = [expr[:40] for expr, _ in CASES]


def test_the_table_has_every_case():
    assert set(ROWS) == {e for e, _ in CASES} | {"OPAQUE " + e for e in OPAQUE}


@pytest.mark.parametrize(("expr", "value"), CASES, ids=IDS)
def test_erl_bytes_decode_to_the_value(expr, value):
    data = ROWS[expr]
    term, used = decode(data, CODEC)
    assert used == len(data)
    assert term == value and type(term) is type(value)


@pytest.mark.parametrize(("expr", "value"), CASES, ids=IDS)
def test_the_value_encodes_to_erls_bytes(expr, value):
    assert encode(value, CODEC) == ROWS[expr]


@pytest.mark.parametrize("expr", OPAQUE)
def test_opaque_terms_from_erl_encode_back_byte_for_byte(expr):
    data = ROWS["OPAQUE " + expr]
    term, used = decode(data, CODEC)
    assert used == len(data)
    assert encode(term, CODEC) == data


@pytest.mark.parametrize(("expr", "value"), CASES[::7], ids=IDS[::7])
def test_readers_take_trailing_data_and_reject_every_truncation(expr, value):
    data = ROWS[expr]
    term, used = decode(data + b"\x83junk", CODEC)
    assert used == len(data) and term == value
    for cut in range(len(data)):
        with pytest.raises(IncompleteTerm):
            decode(data[:cut], CODEC)


def test_every_truncation_of_every_golden_term_is_incomplete():
    for data in ROWS.values():
        for cut in range(len(data)):
            with pytest.raises(IncompleteTerm):
                decode(data[:cut], CODEC)


@pytest.mark.skipif(not erl_available(), reason="needs erl")
def test_the_table_matches_a_live_erl():
    live = erl_bytes([e for e, _ in CASES])
    assert dict(zip([e for e, _ in CASES], live, strict=True)) == {e: ROWS[e] for e, _ in CASES}


@pytest.mark.skipif(not erl_available(), reason="needs erl")
def test_terms_made_by_a_live_erl_right_now_encode_back_identically():
    for data in erl_bytes(OPAQUE):
        term, used = decode(data, CODEC)
        assert used == len(data)
        assert encode(term, CODEC) == data


@pytest.mark.skipif(not erl_available(), reason="needs erl")
def test_compressed_terms_from_erl_decode():
    exprs = ["lists:seq(1, 1000)", "list_to_binary(lists:duplicate(5000, $x))"]
    plain = erl_bytes(exprs)
    for data, raw in zip(erl_bytes(exprs, compressed=True), plain, strict=True):
        assert data[1] == 80
        term, used = decode(data, CODEC)
        assert used == len(data)
        assert encode(term, CODEC) == raw
