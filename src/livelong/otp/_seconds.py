"""The seconds arguments of the OTP layer, checked in one place.

Every timeout, shutdown time and restart window of the behaviours is checked by the
kernel's own checker, ``seconds_arg``, with its one exception type ``BadSeconds``
(both a ``ValueError`` and a ``TypeError``), before the function sends or spawns
anything, and the error names the argument (``GenServer.call: timeout must be >= 0,
got nan``).  The wrappers here add only the words an argument also accepts
(``None``/``"infinity"`` for a timeout, ``"brutal_kill"``/``"infinity"`` for a
shutdown) and one rule: an int too big for a float (``10**400``) means forever, as
``math.inf`` does, where forever is accepted.
"""

from __future__ import annotations

import math
from typing import Any

from .._core import BadSeconds, seconds_arg

__all__ = ["timeout_arg", "shutdown_arg", "window_arg"]


def _seconds(value: Any, what: str, also: str = "") -> float:
    try:
        s = seconds_arg(value, what)
    except (TypeError, ValueError) as e:
        if not also:
            raise
        raise type(e)(f"{e} (or {also})") from None
    try:
        return float(s)
    except OverflowError:  # an int beyond any float: longer than anything can wait
        return math.inf


def timeout_arg(value: Any, what: str) -> float | None:
    """A timeout in seconds, or None for no timeout (``None``, ``"infinity"``,
    ``math.inf`` or a huge int)."""
    if value is None or (type(value) is str and value == "infinity"):
        return None
    s = _seconds(value, what, "None or 'infinity' for no timeout")
    return None if s == math.inf else s


def shutdown_arg(value: Any, what: str) -> float | str:
    """A shutdown time: seconds, ``"brutal_kill"`` or ``"infinity"`` (also for
    ``math.inf`` or a huge int)."""
    if type(value) is str and value in ("brutal_kill", "infinity"):
        return value
    s = _seconds(value, what, "'brutal_kill' or 'infinity'")
    return "infinity" if s == math.inf else s


def window_arg(value: Any, what: str) -> float:
    """A time window in seconds, > 0 (``math.inf`` or a huge int: forever)."""
    try:
        s = _seconds(value, what)
    except ValueError:  # negative or NaN: the message below says what is accepted
        s = math.nan
    if not s > 0:
        raise BadSeconds(f"{what} must be > 0, got {value!r}")
    return s
