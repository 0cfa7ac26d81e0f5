"""Typed call messages: ``Request[T]``, a base class for requests whose reply is a ``T``.

A request class that subclasses ``Request[int]`` tells the type checkers (mypy,
pyright) that ``await GenServer.call(server, Get())`` gives an ``int``: a mismatch such
as ``name: str = await GenServer.call(server, Get())`` is an error for them.  Any other
request (a tuple, a string) stays ``Any``.  At run time ``Request`` is an empty base
class with no fields and no cost: requests are compared, matched and sent as before.

>>> from dataclasses import dataclass
>>> import livelong
>>> from livelong import GenServer, Reply, Request
>>> @dataclass(frozen=True)
... class Get(Request[int]):
...     key: str
>>> class Store(GenServer[dict[str, int]]):
...     def handle_call(self, request, from_, state, /):
...         match request:
...             case Get(key):
...                 return Reply(state.get(key, 0), state)
...         return Reply(None, state)
>>> async def main() -> int:
...     pid = await Store.start_link_pid({"a": 1})
...     return await GenServer.call(pid, Get("a"))   # typed as int
>>> livelong.run(main)
1
"""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = ["Request"]

T_co = TypeVar("T_co", covariant=True)


class Request(Generic[T_co]):
    """Base class of a call message whose reply is a ``T_co``: ``class Get(Request[int])``
    makes ``await GenServer.call(server, Get())`` an ``int`` for type checkers.  It adds
    no fields and no ``__slots__`` entries, so dataclasses (``slots=True`` too),
    NamedTuple-like classes and plain classes can all subclass it."""

    __slots__ = ()
