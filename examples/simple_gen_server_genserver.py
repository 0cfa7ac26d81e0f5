"""The article's SimpleGenServer as a GenServer: the receive loop, the state threading
and the crash handling are GenServer's; what is left is the two clauses of
``handle_message``.  It speaks the same protocol as the raw loop (plain messages, so
``handle_info``), and adds the GenServer way of asking: a ``call``.

Run it: ``python examples/simple_gen_server_genserver.py``.
"""

from __future__ import annotations

from typing import Any

import livelong
from livelong import GenServer, NoReply, Reply, receive, send


class SimpleGenServer(GenServer[list[Any]]):
    def init(self, arg: Any) -> list[Any]:
        return []  # initial_state

    def handle_info(self, msg: Any, state: list[Any]) -> NoReply[list[Any]]:
        match msg:
            case ("store", value):
                return NoReply([value, *state])
            case ("send_all_values", pid):
                send(pid, ("all_values", state))
                return NoReply(state)
            case _:
                raise ValueError(f"SimpleGenServer: no clause matches {msg!r}")

    def handle_call(
        self, request: Any, from_: Any, state: list[Any]
    ) -> Reply[list[Any], list[Any]]:
        if request == "all_values":
            return Reply(state, state)
        raise ValueError(f"SimpleGenServer: unknown call {request!r}")

    # A client API, as GenServer modules usually have (``start``/``start_link`` come
    # from GenServer: ``await SimpleGenServer.start()``):
    @staticmethod
    async def all_values(server: Any) -> list[Any]:
        return await GenServer.call(server, "all_values")  # type: ignore[no-any-return]


async def demo() -> Any:
    pid = await SimpleGenServer.start()
    send(pid, ("store", 23))
    send(pid, ("store", "hello"))
    send(pid, ("send_all_values", livelong.self()))
    answer = await receive()
    return answer, await SimpleGenServer.all_values(pid)


if __name__ == "__main__":
    print(livelong.run(demo))  # (('all_values', ['hello', 23]), ['hello', 23])
