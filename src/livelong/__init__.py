"""livelong: Erlang/Elixir's process model and OTP, in Python.

>>> import livelong
>>> from livelong import spawn, send, receive, self
>>> async def echo():
...     sender, msg = await receive()
...     send(sender, msg)
>>> async def main():
...     pid = spawn(echo)
...     send(pid, (self(), "hi"))
...     return await receive()
>>> livelong.run(main)
'hi'
"""

from __future__ import annotations

from ._core import (
    ANY,
    Exit,
    NotInProcessError,
    Pid,
    Process,
    Ref,
    Tail,
    alias,
    cancel_timer,
    demonitor,
    exit,
    link,
    make_ref,
    match,
    monitor,
    read_timer,
    receive,
    receive_nowait,
    register,
    registered,
    self,
    self_pid,
    send,
    send_after,
    spawn,
    spawn_link,
    spawn_monitor,
    tail,
    unalias,
    unlink,
    unregister,
    whereis,
)
from ._runtime import Node, node, run, start
from .otp import (
    Agent,
    AlreadyRegistered,
    CallContext,
    ChildInfo,
    ChildSpec,
    DynamicSupervisor,
    GenServer,
    Ignore,
    NoReply,
    Ok,
    Registry,
    Reply,
    Stop,
    Supervisor,
    SupervisorError,
    Task,
    TRef,
    pg,
    timer,
)

__all__ = [
    "alias",
    "unalias",
    "ANY",
    "Exit",
    "Node",
    "NotInProcessError",
    "Pid",
    "Process",
    "Ref",
    "Tail",
    "cancel_timer",
    "demonitor",
    "exit",
    "link",
    "make_ref",
    "match",
    "monitor",
    "node",
    "read_timer",
    "receive",
    "receive_nowait",
    "register",
    "registered",
    "run",
    "self",
    "self_pid",
    "send",
    "send_after",
    "spawn",
    "spawn_link",
    "spawn_monitor",
    "start",
    "tail",
    "unlink",
    "unregister",
    "whereis",
    "Agent",
    "AlreadyRegistered",
    "CallContext",
    "ChildInfo",
    "ChildSpec",
    "DynamicSupervisor",
    "GenServer",
    "Ignore",
    "NoReply",
    "Ok",
    "Registry",
    "Reply",
    "Stop",
    "Supervisor",
    "SupervisorError",
    "Task",
    "TRef",
    "timer",
    "pg",
]

__version__ = "0.1.0"
