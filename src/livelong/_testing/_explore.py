"""Schedule exploration: run a program many times, each time with another order of
its runnable processes, to find the interleavings that break it.

Erlang has Concuerror for this; livelong's kernel makes it simple.  The node's run
queue is replaced by one whose ``popleft`` picks a runnable process by a seeded random
choice, so each run tries another interleaving of the processes' steps (the points
where a process gives the kernel its turn: a receive, a yield, the end of its
reductions budget).  A node on a :class:`~livelong.testing.VirtualClock` runs the same
way every time for the same choices, so a failing schedule replays exactly.

The kernel's hot paths do not change: the queue is a ``deque`` subclass the node is
given before it starts.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from .._clock import VirtualClock
from .._runtime import Node, run_on
from ._crashes import Crashes, describe

__all__ = ["explore", "ExplorationFailure"]


class _ChoosingQueue(deque):  # type: ignore[type-arg]
    """A run queue that takes a chosen process instead of the oldest one.

    Each choice among two or more runnable processes is recorded in ``choices``; with
    ``replay``, the recorded choices are made again, in order."""

    def __init__(self, rng: random.Random, replay: Sequence[int] | None) -> None:
        super().__init__()
        self.rng = rng
        self.replay = list(replay) if replay is not None else None
        self.choices: list[int] = []
        self.mismatch: RuntimeError | None = None

    def popleft(self) -> Any:
        n = len(self)
        if n < 2:
            return super().popleft()
        if self.replay is not None:
            at = len(self.choices)
            i = self.replay[at] if at < len(self.replay) else 0
            if not 0 <= i < n:
                # Raising here would break the scheduler's loop: note it, go on in
                # FIFO order, and let explore raise it when the run is over.
                if self.mismatch is None:
                    self.mismatch = RuntimeError(
                        f"explore: the schedule being replayed chose process {i} of {n} "
                        f"at step {at}: it was recorded from another program"
                    )
                i = 0
        else:
            i = self.rng.randrange(n)
        self.choices.append(i)
        if i == 0:
            return super().popleft()
        proc = self[i]
        del self[i]
        return proc


class ExplorationFailure(AssertionError):
    """A run of :func:`explore` failed.  ``seed`` and ``run`` say which run,
    ``schedule`` is its sequence of choices (give it back as ``replay=``), ``error``
    what failed (main's exception, or the first crash of another process)."""

    def __init__(
        self, run: int, seed: int | None, schedule: list[int], error: BaseException, text: str
    ) -> None:
        self.run = run
        self.seed = seed
        self.schedule = schedule
        self.error = error
        where = f"run {run} (seed {seed})" if seed is not None else "the replayed run"
        super().__init__(
            f"explore: {where} failed after {len(schedule)} scheduling choices: "
            f"{type(error).__name__}: {error}\n{text}\n"
            f"replay it with explore(main, replay=failure.schedule)"
        )


def explore(
    main: Callable[..., Any],
    *args: Any,
    runs: int = 100,
    seed: int = 0,
    replay: Sequence[int] | None = None,
    virtual_clock: bool = True,
) -> int:
    """Run ``main(*args)`` as the first process of a fresh node ``runs`` times, each
    with a scheduler that picks the next process among the runnable ones by a random
    choice seeded from ``seed`` and the run's number.  Returns the number of runs
    (all passed).

    A run fails when ``main`` raises or exits abnormally, or when any other process of
    its node crashes: :class:`ExplorationFailure` is raised, carrying the seed and the
    schedule; ``explore(main, replay=failure.schedule)`` runs that schedule once more,
    exactly (on a virtual clock, the default).

    >>> import livelong
    >>> from livelong import Agent
    >>> async def racy_increments():
    ...     a = await Agent.start_link(lambda: 0)
    ...     async def bump():
    ...         v = await Agent.get(a, lambda n: n)
    ...         await Agent.update(a, lambda _: v + 1)   # another bump may come between
    ...     tasks = [livelong.Task.async_(bump) for _ in range(2)]
    ...     for t in tasks:
    ...         await livelong.Task.await_(t)
    ...     assert await Agent.get(a, lambda n: n) == 2, "an update was lost"
    >>> try:
    ...     explore(racy_increments, runs=500, seed=1)
    ... except ExplorationFailure as failure:
    ...     found = failure
    >>> found.error
    AssertionError('an update was lost')
    >>> try:
    ...     explore(racy_increments, replay=found.schedule)
    ... except ExplorationFailure as again:
    ...     print("reproduced:", again.schedule == found.schedule)
    reproduced: True
    """
    if replay is not None:
        _one(main, args, None, 0, random.Random(0), replay, virtual_clock)
        return 1
    if runs < 1:
        raise ValueError(f"explore: runs must be at least 1, got {runs!r}")
    for i in range(runs):
        run_seed = seed * 1_000_003 + i
        _one(main, args, run_seed, i, random.Random(run_seed), None, virtual_clock)
    return runs


def _one(
    main: Callable[..., Any],
    args: tuple[Any, ...],
    seed: int | None,
    run: int,
    rng: random.Random,
    replay: Sequence[int] | None,
    virtual_clock: bool,
) -> None:
    queue = _ChoosingQueue(rng, replay)
    node = Node(watchdog_seconds=None)
    node.run_queue = queue
    clock = VirtualClock() if virtual_clock else None
    first: list[Any] = []

    async def first_process() -> Any:
        from .. import self as self_pid

        first.append(self_pid())
        return await _call(main, args)

    with Crashes() as crashes:
        try:
            run_on(node, first_process, clock=clock)
            error: BaseException | None = None
        except Exception as e:
            error = e
    if queue.mismatch is not None:
        raise queue.mismatch
    others = crashes.others_than(first[0] if first else None)
    if error is None and others:
        error = others[0][1]
    if error is not None:
        raise ExplorationFailure(run, seed, list(queue.choices), error, describe(others))


async def _call(main: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    r = main(*args)
    if hasattr(r, "__await__"):
        r = await r
    return r
