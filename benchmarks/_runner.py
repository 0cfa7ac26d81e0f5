"""The runner: measures every benchmark on each side in a fresh subprocess and
prints a table (or, with ``--json``, a JSON list of rows).

A row compares livelong with one baseline, both measured in this run::

    {"name", "unit", "livelong", "baseline", "baseline_name", "ratio",
     "size", "target", "note"}

``ratio`` is livelong / baseline (null when either side is missing or the baseline
is zero); for ``restarts/s`` higher is better, for every other unit lower is.  The
baseline is another side (``beam``, ``asyncio``, ``raw_deque``) or, for a row that
compares livelong with itself (a call with a long mailbox against one with an empty
mailbox), ``livelong``: another figure of the same livelong runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import _beam
from ._worker import MARK

ROOT = Path(__file__).resolve().parent.parent

LIVELONG = "livelong"
BEAM = "beam"
ASYNCIO = "asyncio"
RAW = "raw_deque"


@dataclass(frozen=True)
class Row:
    """One figure of a benchmark, compared with some baselines."""

    name: str
    unit: str
    key: str  # in the livelong worker's result
    baselines: dict[str, str]  # baseline -> key in that side's result
    target: float | None = None  # the goal for the ratio vs `target_vs`, if one is set
    higher_is_better: bool = False
    target_vs: str = BEAM  # the baseline the target is for
    size: Any = None  # sizes -> text for the table, when not the benchmark's own


@dataclass(frozen=True)
class Bench:
    """One benchmark: a worker name, its sizes, and the rows it produces."""

    key: str
    full: tuple[int, ...]
    quick: tuple[int, ...]
    smoke: tuple[int, ...]  # tiny: for tests/benchmarks, figures meaningless
    describe: Any  # sizes -> text for the table
    rows: tuple[Row, ...]
    beam_processes: int = 0  # how many processes the BEAM needs (its +P)
    rounds: tuple[int, int] = (1, 1)  # fresh processes per side, full and quick
    timeout: float | None = None  # seconds per side when --timeout is not given


def _n(x: int) -> str:
    return f"{x:,}"


def _best(r: int) -> str:
    return f", best of {r}" if r > 1 else ""


BENCHES: tuple[Bench, ...] = (
    Bench(
        "ring",
        full=(10_000, 100, 2),
        quick=(10_000, 20, 2),
        smoke=(50, 2, 1),
        rounds=(3, 2),
        describe=lambda s: f"{_n(s[0])} procs x {s[1]} laps{_best(s[2])}",
        rows=(
            Row(
                "ring_hop",
                "us/hop",
                "value",
                {BEAM: "ring_hop_us", ASYNCIO: "value", RAW: "value"},
                target=2.0,
            ),
        ),
    ),
    Bench(
        "ring_tail",
        full=(10_000, 100, 2),
        quick=(10_000, 10, 2),
        smoke=(50, 2, 1),
        describe=lambda s: f"{_n(s[0])} procs x {s[1]} laps{_best(s[2])}",
        rows=(Row("ring_hop_tail", "us/hop", "value", {BEAM: "ring_hop_us"}),),
        rounds=(3, 1),
    ),
    Bench(
        "spawn",
        full=(100_000, 3),
        quick=(50_000, 2),
        smoke=(200, 1),
        rounds=(3, 2),
        describe=lambda s: f"{_n(s[0])} spawn_monitor + DOWN{_best(s[1])}",
        rows=(
            Row(
                "spawn",
                "us/spawn",
                "value",
                {BEAM: "spawn_us", ASYNCIO: "value", RAW: "value"},
                target=2.0,
            ),
        ),
    ),
    Bench(
        "idle",
        full=(1_000_000,),
        quick=(200_000,),
        smoke=(1_000,),
        describe=lambda s: f"{_n(s[0])} alive at once",
        rows=(
            Row(
                "idle_process_memory",
                "bytes/process",
                "value",
                {BEAM: "bytes_per_process", ASYNCIO: "value"},
                target=1.0,
            ),
        ),
        beam_processes=1_000_000,
    ),
    Bench(
        "tail",
        full=(10_000_000,),
        quick=(1_000_000,),
        smoke=(10_000,),
        describe=lambda s: f"{_n(s[0])} iterations",
        rows=(
            Row("tail_call", "us/iter", "value", {BEAM: "iter_us"}),
            Row(
                "tail_call_peak_growth",
                "bytes",
                "peak_growth_bytes",
                {BEAM: "process_growth_bytes"},
            ),
        ),
    ),
    Bench(
        "genserver",
        full=(100_000, 2),
        quick=(20_000, 2),
        smoke=(200, 1),
        rounds=(3, 2),
        describe=lambda s: f"{_n(s[0])} calls{_best(s[1])}",
        rows=(
            Row(
                "genserver_call",
                "us/call",
                "value",
                {BEAM: "call_us", ASYNCIO: "value"},
                target=3.0,
            ),
        ),
    ),
    Bench(
        "supervisor",
        full=(10_000, 1_000, 1),
        quick=(10_000, 1_000, 1),
        smoke=(20, 10, 1),
        rounds=(3, 2),
        describe=lambda s: f"{_n(s[0])} restarts, {_n(s[1])} per sup{_best(s[2])}",
        rows=(
            Row(
                "supervisor_restart",
                "restarts/s",
                "value",
                {BEAM: "restarts_per_s"},
                higher_is_better=True,
            ),
        ),
    ),
    Bench(
        "call_backlog",
        # backlog, calls timed with it, calls timed with an empty mailbox, repeat: few
        # backlog calls, since each one costs ~50 ms until receive markers land
        full=(100_000, 200, 20_000, 1),
        quick=(100_000, 20, 10_000, 1),
        smoke=(1_000, 5, 100, 1),
        rounds=(2, 1),
        timeout=180.0,
        describe=lambda s: f"{_n(s[1])} calls, {_n(s[0])} queued; {_n(s[2])} empty{_best(s[3])}",
        rows=(
            Row(
                "call_backlog",
                "us/call",
                "backlog_us",
                {BEAM: "backlog_call_us"},
                size=lambda s: f"{_n(s[1])} calls, {_n(s[0])} msgs queued{_best(s[3])}",
            ),
            Row(
                "call_backlog_vs_empty",
                "us/call",
                "backlog_us",
                {LIVELONG: "empty_us"},
                target=2.0,
                target_vs=LIVELONG,
                size=lambda s: (
                    f"{_n(s[0])} msgs queued / empty: {_n(s[1])} / {_n(s[2])} calls{_best(s[3])}"
                ),
            ),
        ),
    ),
    Bench(
        "mass_restart",
        # N, repeat: N and 4N children, each killed at once under a fresh supervisor
        full=(1_000, 1),
        quick=(250, 1),
        smoke=(10, 1),
        rounds=(2, 1),
        timeout=300.0,
        describe=lambda s: f"{_n(s[0])} and {_n(4 * s[0])} children killed{_best(s[1])}",
        rows=(
            Row(
                "mass_restart",
                "restarts/s",
                "small_per_s",
                {BEAM: "small_per_s"},
                higher_is_better=True,
                size=lambda s: f"{_n(s[0])} children killed at once{_best(s[1])}",
            ),
            Row(
                "mass_restart_4x",
                "restarts/s",
                "large_per_s",
                {BEAM: "large_per_s"},
                higher_is_better=True,
                size=lambda s: f"{_n(4 * s[0])} children killed at once{_best(s[1])}",
            ),
            Row(
                "mass_restart_linearity",
                "us/restart",
                "large_us",
                {LIVELONG: "small_us"},
                target=1.5,
                target_vs=LIVELONG,
                size=lambda s: f"{_n(4 * s[0])} / {_n(s[0])} children{_best(s[1])}",
            ),
        ),
    ),
)

# Which Erlang function runs a benchmark, and its arguments, given our sizes.
_BEAM_BENCH = {
    "ring": "ring",
    "ring_tail": "ring",
    "spawn": "spawn",
    "idle": "idle",
    "tail": "tail",
    "genserver": "genserver",
    "supervisor": "supervisor",
    "call_backlog": "call_backlog",
    "mass_restart": "mass_restart",
}


def run_worker(impl: str, bench: str, sizes: tuple[int, ...], timeout: float) -> dict[str, Any]:
    """Run one benchmark of one Python side in a fresh interpreter."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "benchmarks._worker", impl, bench, *map(str, sizes)]
    try:
        res = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in reversed(res.stdout.splitlines()):
        if line.startswith(MARK):
            result: dict[str, Any] = json.loads(line[len(MARK) :])
            return result
    last = (res.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"worker exited {res.returncode}: {last}"}


def _sig(v: float | None) -> float | None:
    """Four significant digits: more would be noise."""
    return None if v is None else float(f"{v:.4g}")


def _ratio(ll: float | None, base: float | None) -> float | None:
    if ll is None or base is None or base == 0:
        return None
    return ll / base


def _run_side(
    side: str,
    b: Bench,
    sizes: tuple[int, ...],
    beam: _beam.Beam | None,
    beam_note: str | None,
    timeout: float,
) -> dict[str, Any]:
    if side != BEAM:
        return run_worker(side, b.key, sizes, timeout)
    if beam is None:
        return {"skip": beam_note or "erl not installed"}
    try:
        return beam.run(_BEAM_BENCH[b.key], list(sizes), timeout, processes=b.beam_processes)
    except _beam.BeamError as e:
        return {"error": str(e)}


def _best_of(results: list[dict[str, Any]], key: str, higher: bool) -> float | None:
    values = [r[key] for r in results if isinstance(r.get(key), int | float)]
    if not values:
        return None
    return max(values) if higher else min(values)


def _problem(side: str, results: list[dict[str, Any]]) -> str | None:
    """Why a side has no figure (the first round's reason), or None."""
    if any("skip" not in r and "error" not in r for r in results):
        return None
    r = results[0]
    return f"{side} {'skipped' if 'skip' in r else 'failed'}: {r.get('skip') or r.get('error')}"


def measure(
    benches: tuple[Bench, ...],
    mode: str,
    beam: _beam.Beam | None,
    beam_note: str | None,
    timeout: float | None,
    log: Any,
) -> list[dict[str, Any]]:
    """Run every side of every benchmark; the sides take turns, round after round,
    so that a burst of noise on the machine does not land on one side only.
    ``timeout`` (seconds per side) is --timeout; None: the mode's default, lowered
    to the benchmark's own when it has one."""
    rows: list[dict[str, Any]] = []
    for b in benches:
        sizes = {"full": b.full, "quick": b.quick, "smoke": b.smoke}[mode]
        rounds = {"full": b.rounds[0], "quick": b.rounds[1], "smoke": 1}[mode]
        runs = f" x {rounds} runs" if rounds > 1 else ""
        size_text = b.describe(sizes) + runs
        side_timeout = timeout
        if side_timeout is None:
            side_timeout = 900.0 if mode == "full" else 60.0
            if b.timeout is not None:
                side_timeout = min(side_timeout, b.timeout)
        sides = [LIVELONG] + [
            s for s in (BEAM, ASYNCIO, RAW) if any(s in r.baselines for r in b.rows)
        ]
        results: dict[str, list[dict[str, Any]]] = {s: [] for s in sides}
        for i in range(rounds):
            for side in sides:
                log(f"{b.key} ({size_text}): {side}" + (f", run {i + 1}" if rounds > 1 else ""))
                results[side].append(_run_side(side, b, sizes, beam, beam_note, side_timeout))
        ll = results[LIVELONG]
        extras: dict[str, Any] = {}
        for r in ll:
            for k, v in r.items():
                extras.setdefault(k, v)
        for row in b.rows:
            llv = _best_of(ll, row.key, row.higher_is_better)
            for side, key in row.baselines.items():
                bv = _best_of(results[side], key, row.higher_is_better)
                problems = [_problem(LIVELONG, ll)]
                if side != LIVELONG:
                    problems.append(_problem(side, results[side]))
                notes = [n for n in problems if n]
                if row.name == "idle_process_memory" and "process_info_memory" in extras:
                    notes.append(
                        f"livelong's Process.info memory says {extras['process_info_memory']} bytes"
                    )
                if row.name == "tail_call_peak_growth" and extras.get("peak_exact") is False:
                    notes.append("peak RSS could not be reset: growth is an upper bound")
                if row.name == "call_backlog_vs_empty":
                    notes.append(_beam_own("backlog_call_us", "empty_call_us", results))
                if row.name == "mass_restart_linearity":
                    notes.append(_beam_own("large_us", "small_us", results))
                notes = [n for n in notes if n]
                targeted = row.target is not None and side == row.target_vs
                ratio = _ratio(llv, bv)
                rows.append(
                    {
                        "name": row.name,
                        "unit": row.unit,
                        "livelong": _sig(llv),
                        "baseline": _sig(bv),
                        "baseline_name": side,
                        "ratio": None if ratio is None else round(ratio, 3),
                        "size": row.size(sizes) + runs if row.size else size_text,
                        "target": f"<= {row.target}x" if targeted else None,
                        "note": "; ".join(notes) or None,
                        "_higher": row.higher_is_better,
                        "_target": row.target if targeted else None,
                        "_side": side,
                    }
                )
    return rows


def _beam_own(key: str, base_key: str, results: dict[str, list[dict[str, Any]]]) -> str | None:
    """The same ratio on the BEAM, for a row that compares livelong with itself."""
    runs = results.get(BEAM)
    if not runs:
        return None
    ratio = _ratio(_best_of(runs, key, False), _best_of(runs, base_key, False))
    return None if ratio is None else f"the BEAM's own ratio in this run: {ratio:.2f}x"


def _fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "-"
    if unit.startswith("bytes") or unit == "restarts/s":
        return f"{v:,.0f}"
    if v >= 100:
        return f"{v:,.1f}"
    if v >= 0.01:
        return f"{v:.3f}"
    return f"{v:.5f}"


def table(rows: list[dict[str, Any]], header: list[str], seconds: float) -> str:
    cols = ["benchmark", "size", "unit", "livelong", "baseline", "vs", "ratio", "target"]
    body = []
    for r in rows:
        verdict = ""
        if r["_target"] is not None:
            verdict = f"<= {r['_target']}x"
            if r["ratio"] is not None:
                verdict += " met" if r["ratio"] <= r["_target"] else " MISSED"
        elif r["_higher"]:
            verdict = "(higher is better)"
        body.append(
            [
                r["name"],
                r["size"],
                r["unit"],
                _fmt(r["livelong"], r["unit"]),
                _fmt(r["baseline"], r["unit"]),
                r["_side"],
                "-" if r["ratio"] is None else f"{r['ratio']:.2f}x",
                verdict,
            ]
        )
    widths = [
        max(len(c), *(len(b[i]) for b in body)) if body else len(c) for i, c in enumerate(cols)
    ]
    right = {3, 4, 6}

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [*header, "", line(cols), line(["-" * w for w in widths])]
    out += [line(b) for b in body]
    notes = [f"  {r['name']} vs {r['_side']}: {r['note']}" for r in rows if r["note"]]
    if notes:
        out += ["", "notes:", *notes]
    out += [
        "",
        f"ratio = livelong / baseline, both measured in this run; lower is "
        f"better except restarts/s.  Took {seconds:.1f} s.",
    ]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="smaller sizes: under 60 s in all")
    p.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes, to check that everything runs (figures meaningless)",
    )
    p.add_argument("--json", action="store_true", help="print a JSON list of rows")
    p.add_argument(
        "--only",
        nargs="+",
        metavar="BENCH",
        choices=[b.key for b in BENCHES],
        help="run only these benchmarks",
    )
    p.add_argument(
        "--beam-schedulers",
        type=int,
        default=1,
        metavar="N",
        help="erl +S N (default 1: a livelong node is one thread; 0: erl's default)",
    )
    p.add_argument("--no-beam", action="store_true", help="do not run the BEAM side")
    p.add_argument(
        "--timeout", type=float, default=None, help="seconds allowed to one side of one benchmark"
    )
    args = p.parse_args(argv)

    start = time.perf_counter()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    timeout: float | None = args.timeout or None

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - start:6.1f}s] {msg}", file=sys.stderr, flush=True)

    beam: _beam.Beam | None = None
    beam_note: str | None = None
    found = None if args.no_beam else _beam.find()
    if args.no_beam:
        beam_note = "--no-beam"
    elif found is None:
        beam_note = "erl/erlc not installed"
    else:
        try:
            beam = _beam.Beam(*found, schedulers=args.beam_schedulers)
        except (_beam.BeamError, OSError) as e:
            beam_note = str(e)

    benches = tuple(b for b in BENCHES if not args.only or b.key in args.only)
    try:
        rows = measure(benches, mode, beam, beam_note, timeout, log)
    finally:
        if beam is not None:
            beam.close()
    seconds = time.perf_counter() - start

    if args.json:
        print(
            json.dumps(
                [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows], indent=2
            )
        )
        return 0
    import livelong

    header = [
        f"livelong {livelong.__version__} benchmarks ({mode} sizes) on Python "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs",
        f"load average at start: {load}",
        f"baselines: beam = {beam.label if beam else beam_note}; "
        "asyncio = asyncio Tasks + asyncio.Queue; raw_deque = bare coroutines on a deque; "
        "livelong = another livelong figure of the same runs",
    ]
    print(table(rows, header, seconds))
    return 0
