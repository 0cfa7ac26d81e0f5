"""Telemetry: subscribe to what the node does, as Elixir's ``:telemetry``.

An *event* is a tuple of names, such as ``("livelong", "process", "crash")``.  A handler
attached to it is called as ``handler(event, measurements, metadata, config)`` each time
the event is executed, in the node's thread, by the process or the kernel code that
executes it.  When nobody is attached to an event, executing it costs one dict look-up,
and livelong's own emitters do not even measure (they ask :func:`attached` first).

A handler that raises is detached and logged, as ``:telemetry`` does, so a broken
handler cannot break the node.

The events livelong executes (event: measurements; metadata):

* ``("livelong", "process", "crash")``: ``{}``; ``pid``, ``reason`` (the exception),
  ``initial_call``.
* ``("livelong", "supervisor", "restart")``: ``{"restarts": n}`` (restarts in the
  window); ``supervisor``, ``child_id``, ``pid`` (the new one), ``reason`` (of the exit).
* ``("livelong", "gen_server", "call")``: ``{"duration": seconds}``; ``server``,
  ``request``, ``outcome`` (``"ok"`` or ``"exit"``).

>>> seen = []
>>> attach("demo", ("app", "job", "done"), lambda ev, m, md, cfg: seen.append((m, md, cfg)), 7)
>>> execute(("app", "job", "done"), {"duration": 0.5}, {"job": "x"})
>>> seen
[({'duration': 0.5}, {'job': 'x'}, 7)]
>>> detach("demo")
True
>>> execute(("app", "job", "done"), {"duration": 0.5}, {"job": "x"}); len(seen)
1
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from ._mfa import internal

internal(__file__)

logger = logging.getLogger("livelong")

Event = tuple[str, ...]
Handler = Callable[[Event, dict[str, Any], dict[str, Any], Any], None]

# event -> [(handler id, handler, config)]
_handlers: dict[Event, list[tuple[Any, Handler, Any]]] = {}
_events_of: dict[Any, list[Event]] = {}


def attach(handler_id: Any, event: Iterable[str], handler: Handler, config: Any = None) -> None:
    """Call ``handler(event, measurements, metadata, config)`` on each ``event``.
    ``handler_id`` names the attachment for :func:`detach`; it must be new."""
    attach_many(handler_id, [event], handler, config)


def attach_many(
    handler_id: Any, events: Iterable[Iterable[str]], handler: Handler, config: Any = None
) -> None:
    """:func:`attach` to several events under one ``handler_id``."""
    if handler_id in _events_of:
        raise ValueError(f"telemetry: a handler is already attached as {handler_id!r}")
    if not callable(handler):
        raise TypeError(f"telemetry: the handler must be callable, got {handler!r}")
    keys = [_event(e) for e in events]
    _events_of[handler_id] = keys
    for key in keys:
        _handlers[key] = [*_handlers.get(key, ()), (handler_id, handler, config)]


def detach(handler_id: Any) -> bool:
    """Remove the handler attached as ``handler_id``; False if there was none."""
    keys = _events_of.pop(handler_id, None)
    if keys is None:
        return False
    for key in keys:
        left = [h for h in _handlers.get(key, ()) if h[0] != handler_id]
        if left:
            _handlers[key] = left
        else:
            _handlers.pop(key, None)
    return True


def list_handlers(prefix: Iterable[str] = ()) -> list[tuple[Any, Event]]:
    """``[(handler_id, event), ...]`` for the events that start with ``prefix``."""
    p = tuple(prefix)
    return [(hid, key) for key, hs in _handlers.items() if key[: len(p)] == p for hid, _, _ in hs]


def attached(event: Event) -> bool:
    """True when a handler listens to ``event`` (a tuple): emitters ask before they
    measure anything."""
    return event in _handlers


def execute(
    event: Iterable[str], measurements: dict[str, Any], metadata: dict[str, Any] | None = None
) -> None:
    """Call every handler attached to ``event``."""
    key = event if type(event) is tuple else _event(event)
    hs = _handlers.get(key)
    if not hs:
        return
    md = metadata if metadata is not None else {}
    for hid, handler, config in hs:
        try:
            handler(key, measurements, md, config)
        except Exception as e:
            detach(hid)
            logger.error(
                "telemetry handler %r failed on %r and was detached: %r", hid, key, e, exc_info=e
            )


def _event(event: Iterable[str]) -> Event:
    if isinstance(event, str):
        raise TypeError(f"telemetry: an event is a tuple of names, got the string {event!r}")
    key = tuple(event)
    if not key:
        raise ValueError("telemetry: an event needs at least one name")
    return key
