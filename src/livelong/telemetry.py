"""Telemetry hooks: subscribe to process crashes, supervisor restarts and call
latencies (Elixir's ``:telemetry``).  The events and their data are listed in
:mod:`livelong._core._telemetry`; nothing is measured for an event nobody listens to.

>>> import livelong
>>> from livelong import telemetry
>>> crashes = []
>>> telemetry.attach("crashes", ("livelong", "process", "crash"),
...                  lambda event, m, md, cfg: crashes.append(md["reason"]))
>>> async def main():
...     pid, ref = livelong.spawn_monitor(lambda: 1 / 0)
...     await livelong.receive(("DOWN", ref, livelong.ANY, livelong.ANY, livelong.ANY))
>>> import logging; logging.disable(logging.ERROR)
>>> livelong.run(main); logging.disable(logging.NOTSET)
>>> crashes
[ZeroDivisionError('division by zero')]
>>> telemetry.detach("crashes")
True
"""

from __future__ import annotations

from ._core import _telemetry

attach = _telemetry.attach
attach_many = _telemetry.attach_many
detach = _telemetry.detach
execute = _telemetry.execute
list_handlers = _telemetry.list_handlers

__all__ = ["attach", "attach_many", "detach", "execute", "list_handlers"]
