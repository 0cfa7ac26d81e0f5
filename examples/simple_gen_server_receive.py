"""The article's SimpleGenServer as a raw receive loop: a long-lived process that
handles messages and keeps state, written with nothing but ``receive`` and a tail call.

    defmodule SimpleGenServer do
      def start do
        initial_state = []
        receive_messages(initial_state)
      end

      def receive_messages(state) do
        receive do
          msg ->
            {:ok, new_state} = handle_message(msg, state)
            receive_messages(new_state)
        end
      end

      def handle_message({:store, value}, state), do: {:ok, [value | state]}
      def handle_message({:send_all_values, pid}, state) do
        send(pid, {:all_values, state})
        {:ok, state}
      end
    end

Run it: ``python examples/simple_gen_server_receive.py``.
"""

from __future__ import annotations

from typing import Any

import livelong
from livelong import receive, send, spawn, tail


def start() -> Any:
    initial_state: list[Any] = []
    return tail(receive_messages, initial_state)


async def receive_messages(state: list[Any]) -> Any:
    msg = await receive()
    _ok, new_state = handle_message(msg, state)
    return tail(receive_messages, new_state)  # the last call: no stack grows


def handle_message(msg: Any, state: list[Any]) -> tuple[str, list[Any]]:
    match msg:
        case ("store", value):
            return "ok", [value, *state]
        case ("send_all_values", pid):
            send(pid, ("all_values", state))
            return "ok", state
        case _:  # a FunctionClauseError
            raise ValueError(f"SimpleGenServer: no clause matches {msg!r}")


async def demo() -> Any:
    pid = spawn(start)
    send(pid, ("store", 23))
    send(pid, ("store", "hello"))
    send(pid, ("send_all_values", livelong.self()))
    return await receive()  # flush()


if __name__ == "__main__":
    print(livelong.run(demo))  # ('all_values', ['hello', 23])
