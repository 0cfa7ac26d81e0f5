"""OTP behaviours on livelong processes: GenServer, Supervisor, DynamicSupervisor, Task,
Agent, Registry and process groups (pg).  Built only on the public process primitives.

Everything here is re-exported by :mod:`livelong`; docs/otp.md is the guide.
"""

from ._agent import Agent
from ._child_spec import ChildSpec
from ._dynamic_supervisor import DynamicSupervisor
from ._gen_server import CallContext, GenServer, Ignore, NoReply, Ok, Reply, Stop
from ._gen_statem import GenStateMachine, KeepState, KeepStateAndData, NextState
from ._pg import pg
from ._registry import AlreadyRegistered, Registry
from ._request import Request
from ._supervisor import ChildInfo, Supervisor, SupervisorError
from ._task import Task
from ._timer import TRef, timer

__all__ = [
    "Agent",
    "AlreadyRegistered",
    "CallContext",
    "ChildInfo",
    "ChildSpec",
    "DynamicSupervisor",
    "GenServer",
    "GenStateMachine",
    "KeepState",
    "KeepStateAndData",
    "NextState",
    "Ignore",
    "NoReply",
    "Ok",
    "Reply",
    "Registry",
    "Request",
    "Stop",
    "Supervisor",
    "SupervisorError",
    "TRef",
    "Task",
    "pg",
    "timer",
]
