"""The one checker of arguments that are a number of seconds.

>>> seconds_arg(1.5, "receive: timeout")
1.5
>>> seconds_arg(10**400, "send_after: seconds")
inf
>>> seconds_arg(float("nan"), "receive: timeout")
Traceback (most recent call last):
    ...
livelong._core._args.BadSeconds: receive: timeout must be >= 0, got nan
"""

from __future__ import annotations

from typing import Any

from ._mfa import internal

internal(__file__)


class BadSeconds(ValueError, TypeError):
    """A seconds argument that is not a number >= 0 (a ``ValueError`` and, for code
    that catches the error of a wrong type, a ``TypeError``)."""


_INF = float("inf")


def seconds_arg(value: Any, what: str) -> float:
    """``value`` checked as a number of seconds >= 0, as a float (``inf``, or an int
    too big for a float: forever), or :class:`BadSeconds` naming ``what``."""
    tp = type(value)
    if tp is float:
        if value >= 0:  # (False for NaN)
            return value  # type: ignore[no-any-return]
    elif tp is int or (isinstance(value, (int, float)) and tp is not bool):
        if value >= 0:
            try:
                return float(value)
            except OverflowError:
                return _INF
    if tp is bool or not isinstance(value, (int, float)):
        raise BadSeconds(f"{what} must be a number of seconds, got {value!r}")
    raise BadSeconds(f"{what} must be >= 0, got {value!r}")
