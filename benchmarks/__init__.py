"""livelong's benchmarks: ``python -m benchmarks`` (see benchmarks/README.md).

Each benchmark is written once per implementation -- livelong (:mod:`._livelong`),
asyncio Tasks with queues (:mod:`._asyncio`), raw coroutines on a deque
(:mod:`._rawdeque`) and the BEAM (``ring.erl`` and friends, driven by :mod:`._beam`)
-- doing the same work step for step.  The runner (:mod:`._runner`) measures each
Python implementation in a fresh subprocess (:mod:`._worker`) so that memory figures
are clean and a crash costs one row, not the table.
"""
