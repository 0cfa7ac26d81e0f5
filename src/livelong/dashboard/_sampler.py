"""The sampler: one for all clients, about once a second, only while a client listens.

Each tick makes one pass over the process table (queue growth and reductions per
second of every process, see :class:`._table.Rates`), reads the node's counters,
appends a sample to the history (a ring of :data:`HISTORY` samples, about ten minutes,
kept while no client listens, so a reload finds it), works out the alerts, follows the
supervisors' children (a new pid for a child id is a restart), and puts the sample in
every client's queue.  A client's queue is bounded: a client that does not keep up
loses its oldest samples, never the node its memory.

>>> s = Sampler(mailbox_alert_seconds=5)
>>> s.clients, s.running
(0, False)
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections import deque
from typing import Any

from . import _source as src
from ._table import Rates

__all__ = ["HISTORY", "Client", "Sampler"]

HISTORY = 600  # samples kept: ten minutes at one a second
CRASHES = 100  # crash feed entries kept
QUEUE = 16  # samples a client may fall behind before its oldest are dropped
MAX_WATCHED = 10_000  # supervised children whose exits the dashboard monitors


class Client:
    """One live connection: a bounded queue of messages to send it."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE)
        self.dropped = 0

    def put(self, msg: dict[str, Any]) -> None:
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(msg)


class _GcTimer:
    """Pauses of Python's cyclic garbage collector, through ``gc.callbacks``."""

    def __init__(self) -> None:
        self.started = 0.0
        self.total = 0.0
        self.longest = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        elif self.started:
            d = time.perf_counter() - self.started
            self.total += d
            self.longest = max(self.longest, d)
            self.started = 0.0


class Sampler:
    """The one sampler of a dashboard (see the module doc)."""

    def __init__(self, mailbox_alert_seconds: float = 10.0, interval: float = 1.0) -> None:
        self.interval = interval
        self.mailbox_alert_seconds = mailbox_alert_seconds
        self.labels = src.Labels()
        self.rates = Rates()
        self.history: deque[dict[str, Any]] = deque(maxlen=HISTORY)
        self.crashes: deque[dict[str, Any]] = deque(maxlen=CRASHES)
        self.runaways: deque[dict[str, Any]] = deque(maxlen=20)  # from the rescue thread
        self.alerts: list[dict[str, Any]] = []
        self._clients: set[Client] = set()
        self._ticker: threading.Event | None = None  # set to stop the beat thread
        self._growing: dict[int, tuple[float, int]] = {}  # id -> (since, queue then)
        # supervised children: (supervisor id, child id) -> [pid, restarts, last exit, flash]
        self.children: dict[tuple[int, Any], list[Any]] = {}
        self.watched: dict[Any, tuple[int, Any]] = {}  # child pid -> its key
        self.watch: Any = None  # set by the dashboard: monitor(pid) in its process
        self.ticks = 0
        self.cost = 0.0  # seconds the dashboard spent (sampling and answering)
        self._cost_mark = (0.0, 0.0)
        self._gc = _GcTimer()
        self._cpu_mark = (0.0, 0.0)
        self._gc_mark: list[int] = []
        self.tree_cache: list[dict[str, Any]] = []

    # --- clients -------------------------------------------------------------------
    @property
    def clients(self) -> int:
        return len(self._clients)

    @property
    def running(self) -> bool:
        return self._ticker is not None

    def add_client(self) -> Client:
        client = Client()
        self._clients.add(client)
        if self._ticker is None:
            self._start(asyncio.get_running_loop())
        return client

    def remove_client(self, client: Client) -> None:
        self._clients.discard(client)
        if not self._clients:
            self.stop()

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        # The beat comes from a thread on the real clock, not from the loop's timers:
        # under a VirtualClock the loop's time jumps, and a sampler on it would spin.
        # How late the loop runs the tick is the loop's lag.
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.interval):
                try:
                    loop.call_soon_threadsafe(self._beat, stop, time.perf_counter())
                except RuntimeError:  # the loop is closed
                    return

        gc.callbacks.append(self._gc)
        self._ticker = stop
        threading.Thread(target=beat, name="livelong-dashboard-sampler", daemon=True).start()

    def _beat(self, stop: threading.Event, sent: float) -> None:
        if stop is self._ticker:  # (not a beat of a sampler stopped since)
            self.tick(time.perf_counter() - sent)

    def stop(self) -> None:
        stop, self._ticker = self._ticker, None
        if stop is not None:
            stop.set()
            if self._gc in gc.callbacks:
                gc.callbacks.remove(self._gc)

    # --- one tick ------------------------------------------------------------------
    def tick(self, lag: float = 0.0) -> dict[str, Any]:
        """Sample now: append to the history and send to every client."""
        started = time.perf_counter()
        now = time.monotonic()
        n = src.node()
        procs = list(n.procs.values())
        reductions, runnable = self.rates.update(procs, now)
        dt = now - self._cpu_mark[0] if self._cpu_mark[0] else 0.0
        counters = src.node_counters()
        cpu = counters["cpu_time"]
        cpu_pct = (cpu - self._cpu_mark[1]) / dt * 100 if dt > 0 else None
        self._cpu_mark = (now, cpu)
        gcs = counters["gc_collections"]
        gc_rate = sum(gcs) - sum(self._gc_mark) if self._gc_mark and dt > 0 else 0
        self._gc_mark = gcs
        queued = sum(q for _, q, _ in self.rates.prev.values())
        cost_dt = now - self._cost_mark[0] if self._cost_mark[0] else 0.0
        cost_ms = (self.cost - self._cost_mark[1]) / cost_dt * 1000 if cost_dt > 0 else 0.0
        self._cost_mark = (now, self.cost)
        self.labels.forget_dead(n.procs)
        self._follow_supervisors(procs, now)
        sample = {
            "t": time.time(),
            "processes": counters["processes"],
            "run_queue": runnable,
            "reductions_per_s": round(reductions / dt) if dt > 0 else None,
            "messages_per_s": None,  # (no counter of sends in the kernel yet)
            "queued_messages": queued,
            "cpu_percent": None if cpu_pct is None else round(cpu_pct, 1),
            "loop_lag_ms": round(lag * 1000, 2),
            "rss": counters["rss"],
            "memory_estimate": counters["processes"] * 900 + queued * 100,
            "gc_collections": gcs,
            "gc_per_s": round(gc_rate / dt, 2) if dt > 0 else 0,
            "gc_pause_ms": round(self._gc.total * 1000, 2),
            "gc_longest_ms": round(self._gc.longest * 1000, 2),
            "uptime": round(counters["uptime"], 1),
            "virtual_time": counters["virtual_time"],
            "dashboard_ms_per_s": round(cost_ms, 2),
            "clients": self.clients,
        }
        self.history.append(sample)
        self.alerts = self._alerts(procs, now)
        self.ticks += 1
        msg = {"type": "sample", "sample": sample, "alerts": len(self.alerts)}
        for client in list(self._clients):
            client.put(msg)
        self.cost += time.perf_counter() - started
        return sample

    # --- supervisors: restarts seen, exits heard ------------------------------------
    def _follow_supervisors(self, procs: list[Any], now: float) -> None:
        seen: set[tuple[int, Any]] = set()
        for sup, state, kind in src.supervisors(self.labels, procs):
            if kind != "supervisor":
                continue
            for child_id, pid, _ in src.supervisor_children(state, kind):
                try:
                    key = (sup.id, child_id)
                    hash(key)
                except TypeError:
                    continue
                seen.add(key)
                entry = self.children.get(key)
                if entry is None:
                    entry = self.children[key] = [pid, 0, None, 0.0]
                elif pid is not None and pid is not entry[0]:
                    if entry[0] is not None or entry[2] is not None:
                        entry[1] += 1
                        entry[3] = now + 3.0
                    entry[0] = pid
                if pid is not None and pid not in self.watched and self.watch is not None:
                    if len(self.watched) < MAX_WATCHED:
                        self.watched[pid] = key
                        self.watch(pid)
        for key in [k for k in self.children if k not in seen]:
            del self.children[key]

    def child_down(self, pid: Any, reason: Any) -> None:
        """A watched child exited (the dashboard's process heard its DOWN)."""
        key = self.watched.pop(pid, None)
        if key is None:
            return
        entry = self.children.get(key)
        if entry is not None:
            entry[2] = src.safe_repr(reason, 300)

    def crashed(self, pid: Any, reason: Any, initial_call: str) -> None:
        self.crashes.appendleft(
            {
                "t": time.time(),
                "pid": repr(pid),
                "initial_call": initial_call,
                "reason": src.safe_repr(reason, 300),
                "traceback": src.format_exception(reason),
            }
        )

    def tree(self) -> list[dict[str, Any]]:
        """The supervision trees: each root supervisor with its children, nested."""
        now = time.monotonic()
        nodes: dict[int, dict[str, Any]] = {}
        child_sups: set[int] = set()
        sups = src.supervisors(self.labels)
        for sup, state, kind in sups:
            restarts, max_r, max_s = src.restart_window(state)
            label, _ = self.labels.of(sup)
            children = []
            entries = src.supervisor_children(state, kind)
            shown = entries if kind == "supervisor" else entries[:20]
            for child_id, pid, restart in shown:
                try:
                    entry = self.children.get((sup.id, child_id)) or [None, 0, None, 0.0]
                except TypeError:
                    entry = [None, 0, None, 0.0]
                clabel, ckind = self.labels.of(pid) if pid is not None else ("", "process")
                children.append(
                    {
                        "id": src.safe_repr(child_id, 80),
                        "pid": repr(pid) if pid is not None else None,
                        "label": clabel,
                        "kind": ckind,
                        "restart": restart,
                        "restarts": entry[1],
                        "last_exit": entry[2],
                        "flash": entry[3] > now,
                        "sup": pid.id if pid is not None and ckind.endswith("supervisor") else None,
                    }
                )
                if pid is not None and ckind.endswith("supervisor"):
                    child_sups.add(pid.id)
            nodes[sup.id] = {
                "pid": repr(sup),
                "label": label,
                "kind": kind,
                "strategy": state.strategy,
                "restarts_in_window": restarts,
                "max_restarts": max_r,
                "max_seconds": max_s,
                "count": len(entries),
                "children": children,
            }
        for nd in nodes.values():
            for c in nd["children"]:
                sub = c.pop("sup")
                if sub is not None and sub in nodes:
                    c["supervisor"] = nodes[sub]
        return [nd for i, nd in nodes.items() if i not in child_sups]

    # --- alerts ----------------------------------------------------------------------
    def _alerts(self, procs: list[Any], now: float) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        prev = self.rates.prev
        growing = self._growing
        qrate = self.rates.queue_rate
        for i, r in qrate.items():
            if r > 0 and i not in growing:
                q = prev[i][1]
                growing[i] = (now - self.interval, max(0, q - int(r * self.interval)))
        for i in list(growing):
            p = prev.get(i)
            if p is None or p[1] == 0 or qrate.get(i, 0.0) < 0:
                del growing[i]
                continue
            since, q0 = growing[i]
            if now - since >= self.mailbox_alert_seconds and p[1] > q0:
                label, _ = self.labels.of(p[0])
                out.append(
                    {
                        "kind": "mailbox_growing",
                        "pid": repr(p[0]),
                        "label": label,
                        "text": f"mailbox of {p[0]!r} ({label}) grew from {q0} to {p[1]} "
                        f"in {now - since:.0f} s",
                    }
                )
        recent = time.time() - 600
        for run in [r for r in list(self.runaways) if r["t"] > recent]:
            out.append(
                {
                    "kind": "runaway",
                    "pid": run["pid"],
                    "label": run.get("current_function", ""),
                    "text": f"{run['pid']} held the node's thread for {run['seconds']:.1f} s in "
                    f"{run['current_function']}",
                }
            )
        for sup, state, _ in src.supervisors(self.labels, procs):
            n, max_r, max_s = src.restart_window(state)
            if n and max_r and n >= max(1, int(max_r * 0.8)):
                out.append(
                    {
                        "kind": "restart_intensity",
                        "pid": repr(sup),
                        "label": self.labels.of(sup)[0],
                        "text": f"supervisor {sup!r}: {n} restarts in {max_s:g} s (limit {max_r})",
                    }
                )
        return out
