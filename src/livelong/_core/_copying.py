"""Message copying: what ``copy_messages=True`` does to each message sent.

On the BEAM a message is copied into the receiver's heap, so a sender can never see
the receiver change it.  livelong shares messages by default (Python objects cost a
deep copy to isolate); a node started with ``copy_messages=True`` copies whatever
the receiver could see mutated, and shares immutable data as it is.

>>> isolate((1, "a", b"x")) is not None
True
>>> msg = {"k": [1]}
>>> isolate(msg) == msg and isolate(msg) is not msg
True
"""

from __future__ import annotations

import copy
from typing import Any

from ._ids import Pid, Ref
from ._mfa import internal

internal(__file__)

_IMMUTABLE = frozenset({int, float, str, bytes, bool, type(None), complex, Pid, Ref, range})


def isolate(msg: Any) -> Any:
    """``msg`` itself when nothing in it can be mutated, else a deep copy of it."""
    tp = type(msg)
    if tp in _IMMUTABLE:
        return msg
    if tp is tuple or tp is frozenset:
        for item in msg:
            if type(item) not in _IMMUTABLE:
                break
        else:
            return msg
    return copy.deepcopy(msg)
