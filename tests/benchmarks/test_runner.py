"""Smoke test of ``python -m benchmarks``: with tiny sizes every benchmark runs and
the JSON rows are well formed.  No timing is asserted here: figures live in
benchmarks/, measured by ``python -m benchmarks``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"name", "unit", "livelong", "baseline", "baseline_name", "ratio"}


def run_benchmarks(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    res = run_benchmarks("--json")
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert isinstance(data, list) and data
    return data


def test_every_row_has_the_keys(rows: list[dict]) -> None:
    for row in rows:
        assert KEYS <= set(row), row
        assert isinstance(row["name"], str) and row["name"]
        assert isinstance(row["unit"], str) and row["unit"]
        assert row["baseline_name"] in ("beam", "asyncio", "raw_deque", "livelong")
        for key in ("livelong", "baseline", "ratio"):
            assert row[key] is None or isinstance(row[key], int | float), row


def test_ratio_is_livelong_over_baseline(rows: list[dict]) -> None:
    for row in rows:
        if row["livelong"] is not None and row["baseline"]:
            assert row["ratio"] == pytest.approx(row["livelong"] / row["baseline"], rel=1e-2)
        else:
            assert row["ratio"] is None


def test_every_benchmark_and_baseline_is_there(rows: list[dict]) -> None:
    pairs = {(r["name"], r["baseline_name"]) for r in rows}
    for name in ("ring_hop", "spawn", "idle_process_memory", "genserver_call"):
        assert (name, "asyncio") in pairs
        assert (name, "beam") in pairs
    assert ("ring_hop", "raw_deque") in pairs
    for name in (
        "tail_call",
        "tail_call_peak_growth",
        "supervisor_restart",
        "call_backlog",
        "mass_restart",
        "mass_restart_4x",
    ):
        assert (name, "beam") in pairs
    # the rows that compare livelong with itself, measured in the same runs
    for name in ("call_backlog_vs_empty", "mass_restart_linearity"):
        assert (name, "livelong") in pairs


def test_kernel_rows_are_measured(rows: list[dict]) -> None:
    # the core benchmarks need only the kernel: they must produce figures
    for row in rows:
        if row["name"] in ("ring_hop", "spawn", "idle_process_memory", "tail_call"):
            assert row["livelong"] is not None, row
            if row["baseline_name"] != "beam":
                assert row["baseline"] is not None, row


def test_self_compared_rows_are_measured(rows: list[dict]) -> None:
    # a backlog that the calls consumed, or children that never came back, would
    # leave these figures null (the worker checks both)
    by_name = {r["name"]: r for r in rows if r["baseline_name"] == "livelong"}
    for name, target in (
        ("call_backlog_vs_empty", "<= 2.0x"),
        ("mass_restart_linearity", "<= 1.5x"),
    ):
        row = by_name[name]
        assert row["livelong"] is not None and row["baseline"] is not None, row
        assert row["target"] == target, row


def test_missing_figures_say_why(rows: list[dict]) -> None:
    for row in rows:
        if row["livelong"] is None or row["baseline"] is None:
            assert row.get("note"), row


@pytest.mark.skipif(
    shutil.which("erl") is None or shutil.which("erlc") is None, reason="Erlang/OTP not installed"
)
def test_beam_side_runs(rows: list[dict]) -> None:
    for row in rows:
        if row["baseline_name"] == "beam":
            assert row["baseline"] is not None, row


def test_table() -> None:
    res = run_benchmarks("--only", "ring", "--no-beam")
    assert res.returncode == 0, res.stderr
    assert "ring_hop" in res.stdout and "raw_deque" in res.stdout
