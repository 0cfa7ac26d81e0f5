"""The restart benchmark's use of livelong's Supervisor (issue 3), kept in one place
so that the benchmark follows the API as it lands: a one_for_one supervisor with one
permanent child that tells the driver it started and exits with ``"crash"`` at once
-- the same child as ``bench_sup.erl``."""

from __future__ import annotations

from typing import Any

import livelong


def unavailable() -> str | None:
    """Why the benchmark cannot run yet, or None."""
    if getattr(livelong, "Supervisor", None) is None:
        return "livelong.Supervisor not available yet (issue 3)"
    return None


async def _crasher(driver: livelong.Pid) -> None:
    livelong.send(driver, "started")
    livelong.exit("crash")


def start_crasher(driver: livelong.Pid) -> livelong.Pid:
    """The child's start function: start it linked to the supervisor, return its pid."""
    return livelong.spawn_link(_crasher, driver)


async def start(driver: livelong.Pid, max_restarts: int) -> Any:
    """Start the supervisor, not linked to the caller; returns its pid."""
    Supervisor: Any = livelong.Supervisor  # type: ignore[attr-defined]
    child = {
        "id": "crasher",
        "start": (start_crasher, (driver,)),
        "restart": "permanent",
        "shutdown": "brutal_kill",
        "type": "worker",
    }
    return await Supervisor.start(
        [child], strategy="one_for_one", max_restarts=max_restarts, max_seconds=1
    )


async def stop(sup: Any) -> None:
    """Stop it as ring.erl does: the exit signal ``shutdown``."""
    livelong.Process.exit(sup, "shutdown")
