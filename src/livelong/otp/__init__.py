"""OTP behaviours on livelong processes: GenServer, Supervisor, DynamicSupervisor, Task,
Agent, Registry and process groups (pg).  Built only on the public process primitives.

Everything here is re-exported by :mod:`livelong`; docs/otp.md is the guide.
"""

from ._agent import Agent
from ._child_spec import ChildSpec
from ._dynamic_supervisor import DynamicSupervisor
from ._gen_server import CallContext, GenServer, Ignore, NoReply, Ok, Reply, Stop
from ._pg import pg
from ._registry import AlreadyRegistered, Registry
from ._request import Request
from ._supervisor import ChildInfo, Supervisor, SupervisorError
from ._task import Task

__all__ = [
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
    "Reply",
    "Registry",
    "Request",
    "Stop",
    "Supervisor",
    "SupervisorError",
    "Task",
    "pg",
]
