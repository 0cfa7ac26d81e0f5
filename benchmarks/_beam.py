"""The BEAM baseline: compile ``ring.erl``, ``bench_counter.erl``, ``bench_sup.erl``
and ``bench_dynsup.erl`` into a temporary directory with ``erlc`` and run one benchmark
per ``erl`` invocation, parsing the ``RESULT key value`` lines it prints."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["Beam", "find"]

HERE = Path(__file__).resolve().parent
SOURCES = ("ring.erl", "bench_counter.erl", "bench_sup.erl", "bench_dynsup.erl")


class BeamError(RuntimeError):
    pass


class Beam:
    """One compiled copy of the Erlang side, for the length of a run."""

    def __init__(self, erl: str, erlc: str, schedulers: int) -> None:
        self.erl = erl
        self.erlc = erlc
        self.schedulers = schedulers
        self._tmp = tempfile.TemporaryDirectory(prefix="livelong-bench-")
        self.dir = self._tmp.name
        res = subprocess.run(
            [erlc, "-o", self.dir, *(str(HERE / s) for s in SOURCES)],
            capture_output=True,
            text=True,
        )
        if res.returncode != 0:
            raise BeamError(f"erlc failed:\n{res.stdout}{res.stderr}")
        self.release = self._eval(
            'io:format("~s/~s", [erlang:system_info(otp_release), erlang:system_info(version)])'
        )

    def _flags(self) -> list[str]:
        return ["+S", str(self.schedulers)] if self.schedulers > 0 else []

    def _eval(self, expr: str) -> str:
        res = subprocess.run(
            [self.erl, *self._flags(), "-noshell", "-eval", f"{expr}, halt()."],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return res.stdout.strip()

    @property
    def label(self) -> str:
        otp, erts = self.release.partition("/")[::2]
        sched = f"+S {self.schedulers}" if self.schedulers > 0 else "default schedulers"
        return f"BEAM OTP {otp} (erts {erts}, {sched})"

    def run(
        self, bench: str, args: list[int], timeout: float, processes: int = 0
    ) -> dict[str, float]:
        """Run ``ring:main([bench | args])``; returns its ``RESULT`` figures."""
        flags = self._flags()
        if processes:
            flags += ["+P", str(max(processes * 2, 262144))]
        cmd = [
            self.erl,
            *flags,
            "-noshell",
            "-pa",
            self.dir,
            "-run",
            "ring",
            "main",
            bench,
            *map(str, args),
        ]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BeamError(f"erl timed out after {timeout:.0f} s") from None
        out: dict[str, float] = {}
        for line in res.stdout.splitlines():
            if line.startswith("RESULT "):
                _, key, value = line.split()
                out[key] = float(value)
        if res.returncode != 0 or not out:
            tail = (res.stdout + res.stderr).strip().splitlines()[-3:]
            raise BeamError(f"erl exited {res.returncode}: {' | '.join(tail)}")
        return out

    def close(self) -> None:
        self._tmp.cleanup()


def find() -> tuple[str, str] | None:
    """``(erl, erlc)`` when both are installed."""
    erl, erlc = shutil.which("erl"), shutil.which("erlc")
    if erl and erlc:
        return erl, erlc
    return None
