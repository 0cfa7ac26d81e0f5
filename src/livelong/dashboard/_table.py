"""The process table: server-side filter, sort and paging over every process.

Only the rows of the page asked for are built in full (current function, memory are
the costly columns); the sort looks at one cheap key per process, and a page near the
top of the order is found with a heap (``heapq.nsmallest``), so the first page of
100,000 processes costs one pass over them.

>>> import livelong
>>> from livelong.dashboard._source import Labels
>>> async def main():
...     for i in range(5):
...         livelong.register(f"w{i}", livelong.spawn(livelong.receive))
...     await livelong.Process.sleep(0)
...     page = query(Labels(), Rates(), sort="name", order="desc", filter="w", limit=2)
...     return page["total"], [r["name"] for r in page["rows"]]
>>> livelong.run(main)
(5, ['w4', 'w3'])
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from typing import Any

from .. import lowlevel
from . import _source as src

__all__ = ["COLUMNS", "Rates", "query"]

COLUMNS = (
    "pid",
    "name",
    "label",
    "current_function",
    "status",
    "queue",
    "queue_growth",
    "reductions",
    "reductions_rate",
    "memory",
    "age",
)
"""The columns of the table, each sortable."""

MAX_LIMIT = 500


class Rates:
    """Per-process rates the sampler measures once a second: queue growth and
    reductions per second, and when each process was first seen."""

    def __init__(self) -> None:
        self.prev: dict[int, tuple[Any, int, int]] = {}  # id -> (proc, queue, reductions)
        self.queue_rate: dict[int, float] = {}
        self.reduction_rate: dict[int, float] = {}
        self.first_seen: dict[int, float] = {}
        self.at = 0.0

    def update(self, procs: list[Any], now: float) -> tuple[int, int]:
        """One pass over every process; returns (reductions since the last pass, the
        number of processes that are runnable)."""
        dt = now - self.at if self.at else 0.0
        prev = self.prev
        new: dict[int, tuple[Any, int, int]] = {}
        qrate: dict[int, float] = {}
        rrate: dict[int, float] = {}
        first = self.first_seen
        total = 0
        runnable = 0
        for p in procs:
            i = p.id
            mb = p.mailbox
            q = len(mb) if mb else 0
            r = p.reductions
            new[i] = (p, q, r)
            st = p.status
            if st == "runnable" or st == "preempted":
                runnable += 1
            old = prev.get(i)
            if old is not None and old[0] is p:
                dr = r - old[2]
                total += dr
                if dt > 0:
                    if dr:
                        rrate[i] = dr / dt
                    if q != old[1]:
                        qrate[i] = (q - old[1]) / dt
            elif i not in first:
                first[i] = now
        for i in [i for i in first if i not in new]:
            del first[i]
        self.prev, self.queue_rate, self.reduction_rate, self.at = new, qrate, rrate, now
        return total, runnable


def _key(sort: str, labels: src.Labels, rates: Rates) -> Callable[[Any], Any]:
    if sort == "pid":
        return lambda p: p.id
    if sort == "name":
        return lambda p: p.name or ""
    if sort == "label":
        return lambda p: labels.of(p)[0]
    if sort == "status":
        return lambda p: src.status(p)
    if sort == "queue":
        return lambda p: len(p.mailbox or ())
    if sort == "reductions":
        return lambda p: p.reductions
    if sort == "queue_growth":
        qr = rates.queue_rate
        return lambda p: qr.get(p.id, 0.0)
    if sort == "reductions_rate":
        rr = rates.reduction_rate
        return lambda p: rr.get(p.id, 0.0)
    if sort == "memory":
        return src.memory_estimate
    if sort == "age":
        first = rates.first_seen
        return lambda p: -first.get(p.id, float("inf"))
    if sort == "current_function":

        def cf(p: Any) -> str:
            try:
                return ".".join(map(str, lowlevel.current_function(p)))
            except Exception:
                return "?"

        return cf
    raise ValueError(f"unknown sort column {sort!r}; columns: {', '.join(COLUMNS)}")


def _matches(text: str, labels: src.Labels) -> Callable[[Any], bool]:
    text = text.lower()

    def match(p: Any) -> bool:
        name = p.name
        if name is not None and text in name.lower():
            return True
        if text in labels.of(p)[0].lower():
            return True
        return text in repr(p).lower()

    return match


def query(
    labels: src.Labels,
    rates: Rates,
    *,
    sort: str = "pid",
    order: str = "asc",
    filter: str = "",
    offset: int = 0,
    limit: int = 50,
    procs: list[Any] | None = None,
) -> dict[str, Any]:
    """One page of the process table: ``{"total", "offset", "limit", "sort", "order",
    "rows"}``; ``total`` counts the processes that pass the filter."""
    if order not in ("asc", "desc"):
        raise ValueError("order is 'asc' or 'desc'")
    offset = max(0, int(offset))
    limit = max(1, min(int(limit), MAX_LIMIT))
    key = _key(sort, labels, rates)
    if procs is None:
        procs = list(src.node().procs.values())
    if filter:
        procs = [p for p in procs if _matches(filter, labels)(p)]
    total = len(procs)
    want = offset + limit
    if sort == "pid" and order == "asc":
        page = procs[offset:want]  # the table is in id order already
    elif sort == "pid":
        page = procs[::-1][offset:want]
    elif want * 4 < total:
        pick = heapq.nlargest if order == "desc" else heapq.nsmallest
        page = pick(want, procs, key=key)[offset:]
    else:
        page = sorted(procs, key=key, reverse=order == "desc")[offset:want]
    now = time.monotonic()
    rows = []
    for p in page:
        row = src.full_row(p, labels)
        row["queue_growth"] = round(rates.queue_rate.get(p.id, 0.0), 2)
        row["reductions_rate"] = round(rates.reduction_rate.get(p.id, 0.0), 1)
        seen = rates.first_seen.get(p.id)
        row["age"] = None if seen is None else round(now - seen, 1)
        rows.append(row)
    return {
        "total": total,
        "offset": offset,
        "limit": limit,
        "sort": sort,
        "order": order,
        "filter": filter,
        "rows": rows,
    }
