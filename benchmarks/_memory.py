"""Resident memory of this OS process, read the honest way: what the kernel says
the process occupies (RSS), not what Python thinks it allocated."""

from __future__ import annotations

import os
import resource
import sys

__all__ = ["rss", "reset_peak", "peak"]

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss() -> int:
    """Bytes resident now."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:  # not Linux: the peak is the best the platform offers
        return peak()


def reset_peak() -> bool:
    """Reset the peak-RSS mark (Linux >= 4.0); False when the platform cannot."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak() -> int:
    """Bytes resident at the peak since start (or since :func:`reset_peak`)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024
