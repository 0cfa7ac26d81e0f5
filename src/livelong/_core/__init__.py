"""livelong's kernel: the process record, the scheduler, send and receive, links,
monitors, aliases, names, timers, exit signals and introspection.

This package's namespace is the kernel's interface to the layers above it (OTP, the
shell, distribution, the dashboard): they import from here or from
:mod:`livelong.lowlevel`, never from the private modules.  Where things live:

=======================  ===============================================================
``_process``             the process record (``LocalPid``), its status table, the
                         values a process yields to the kernel, ``Tail``, exceptions
``_scheduler``           the run queue, the slice, send/deliver/receive (hot paths)
``_reference``           readable versions of the hot paths (``LIVELONG_REFERENCE=1``)
``_timeouts``            the heap of receive timeouts
``_node``                the node: attach to a loop, spawn into it, stop it
``_spawn``               spawn, spawn_link, spawn_monitor, self, self_pid, make_ref
``_links``               links, monitors and aliases
``_exits``               exit signals from processes and other threads
``_names``               registered names
``_timers``              send_after and friends
``_process_api``         Elixir's ``Process`` module
``_introspection``       Process.info and the other snapshots
``_watchdog``            the thread that notices a process holding the node
``_copying``             message copying (``copy_messages=True``)
``_remote``              the hooks distribution plugs into
``_telemetry``           events handlers subscribe to (``livelong.telemetry``)
``_ids``, ``_patterns``  pids and refs; receive patterns
``_args``, ``_mfa``      the seconds checker; how functions are named
=======================  ===============================================================
"""

from . import _reference, _telemetry  # noqa: F401  (livelong.telemetry)
from ._args import BadSeconds, seconds_arg
from ._exits import exit, outside_pid, send_exit
from ._ids import LOCAL_NODE, Pid, Ref
from ._links import alias, demonitor, link, monitor, unalias, unlink
from ._names import register, registered, unregister, whereis
from ._node import EXIT_CLEANUP_SECONDS, GC_THRESHOLD, Node
from ._patterns import ANY, match
from ._process import Exit, NotInProcessError, Tail, tail
from ._process_api import Process
from ._scheduler import _send_from_thread as send_from_thread
from ._scheduler import (
    current_node,
    current_proc,
    monotonic,
    receive,
    receive_nowait,
    running_node,
    send,
)
from ._spawn import make_ref, self, self_pid, spawn, spawn_link, spawn_monitor
from ._timers import cancel_timer, read_timer, send_after

if _reference.ENABLED:  # LIVELONG_REFERENCE=1: the readable versions of the hot paths
    from ._reference import (  # noqa: F811
        monitor,
        receive,
        receive_nowait,
        self,
        send,
        spawn_monitor,
    )

__all__ = [
    "ANY",
    "BadSeconds",
    "EXIT_CLEANUP_SECONDS",
    "Exit",
    "GC_THRESHOLD",
    "LOCAL_NODE",
    "Node",
    "NotInProcessError",
    "Pid",
    "Process",
    "Ref",
    "Tail",
    "alias",
    "cancel_timer",
    "current_node",
    "current_proc",
    "demonitor",
    "exit",
    "link",
    "make_ref",
    "match",
    "monitor",
    "monotonic",
    "outside_pid",
    "read_timer",
    "receive",
    "receive_nowait",
    "register",
    "registered",
    "running_node",
    "seconds_arg",
    "self",
    "self_pid",
    "send",
    "send_after",
    "send_exit",
    "send_from_thread",
    "spawn",
    "spawn_link",
    "spawn_monitor",
    "tail",
    "unalias",
    "unlink",
    "unregister",
    "whereis",
]
