"""livelong's kernel: scheduler, process records, pids and refs, patterns.

Private: the public API is re-exported by :mod:`livelong`."""
