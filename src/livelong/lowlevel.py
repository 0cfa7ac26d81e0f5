"""What the shell, the dashboard and distribution need of the kernel, for power users.

Ordinary programs need none of this: :mod:`livelong` has the process model and OTP.
This namespace (as trio's ``trio.lowlevel``) is for code that plugs into the kernel:

* the running node and process: :func:`current_node`, :func:`running_node`,
  :func:`current_process`;
* the watchdog's finding and how to stop it: :func:`runaway_process`,
  :class:`Interrupt` (raised in the node's thread to stop a runaway process);
* distribution's hooks: :class:`RemoteHooks`, :func:`set_remote_hooks`, and what a
  hook implementation calls back: :func:`deliver`, :func:`exit_signal`,
  :func:`local_process`, :func:`pid_for`, :func:`ref_from_parts`, :class:`RemoteRef`;
* snapshots: :func:`process_info`, :func:`current_function`, :func:`status_of`,
  :func:`mfa`;
* the node's clock :func:`monotonic`, the seconds checker :func:`seconds_arg` and its
  error :class:`BadSeconds`, :class:`ProcessExit` (the cancellation an exit signal
  raises in a process), :func:`internal_files` (the kernel's source files, left out
  of tracebacks).

>>> import livelong
>>> from livelong import lowlevel
>>> async def main():
...     return lowlevel.current_node() is livelong.node(), lowlevel.runaway_process()
>>> livelong.run(main)
(True, None)
"""

from __future__ import annotations

from ._core import _remote
from ._core._args import BadSeconds, seconds_arg
from ._core._ids import RemoteRef, pid_for, ref_from_parts
from ._core._introspection import current_function, process_info, status_of
from ._core._lifecycle import exit_signal
from ._core._mfa import INTERNAL_FILES, mfa
from ._core._process import Interrupt, LocalPid, ProcessExit
from ._core._remote import RemoteHooks, set_remote_hooks
from ._core._scheduler import (
    current_node,
    deliver,
    monotonic,
    proc_of,
    running_node,
    running_process,
)
from ._core._telemetry import attached as telemetry_attached
from ._core._watchdog import runaway_process

__all__ = [
    "BadSeconds",
    "Interrupt",
    "LocalPid",
    "ProcessExit",
    "RemoteHooks",
    "RemoteRef",
    "current_function",
    "current_node",
    "current_process",
    "deliver",
    "exit_signal",
    "internal_files",
    "local_process",
    "mfa",
    "monotonic",
    "pid_for",
    "process_info",
    "ref_from_parts",
    "remote_hooks",
    "runaway_process",
    "running_node",
    "seconds_arg",
    "set_remote_hooks",
    "telemetry_attached",
    "status_of",
]

local_process = proc_of
current_process = running_process


def remote_hooks() -> RemoteHooks:
    """The distribution hooks in force (see :func:`set_remote_hooks`)."""
    return _remote.remote


def internal_files() -> frozenset[str]:
    """The source files of livelong's kernel."""
    return frozenset(INTERNAL_FILES)
