"""The article "Long-lived processes in Elixir", told by livelong (``livelong demo``)."""

from __future__ import annotations

import logging

import livelong
from livelong import ANY, Process, receive, self, send, spawn, spawn_link, tail


class LiveLong:
    """``def run do run() end``: work that never ends, without growing the stack."""

    @staticmethod
    def run():  # type: ignore[no-untyped-def]
        return tail(LiveLong.run)


async def receive_messages(state: list[object]) -> object:
    """The article's SimpleGenServer: a long-lived process keeping state."""
    match await receive():
        case ("store", value):
            return tail(receive_messages, [value, *state])
        case ("send_all_values", pid):
            send(pid, ("all_values", state))
            return tail(receive_messages, state)
    return tail(receive_messages, state)


async def fragile() -> None:
    await receive("crash")
    raise RuntimeError("a crash, caught by a link")


def say(prompt: str, value: object = None) -> None:
    print(f"iex> {prompt}")
    if value is not None:
        print(value)


async def main() -> None:
    say("self()", self())
    say("1 + 1", 1 + 1)
    say("self()", self())

    pid = spawn(lambda: 1 + 1)
    say("pid = spawn(lambda: 1 + 1)", pid)
    await Process.sleep(0.01)
    say("Process.alive(pid)", Process.alive(pid))

    pid = spawn(LiveLong.run)
    say("pid = spawn(LiveLong.run)", pid)
    await Process.sleep(0.01)
    say("Process.alive(pid)", Process.alive(pid))
    info = Process.info(pid)
    m, f, a = info["current_function"]
    say("Process.info(pid)", f"{{current_function: {f}/{a}, status: {info['status']}, ...}}")
    Process.exit(pid, "kill")

    store = spawn(receive_messages, [])
    say("pid = spawn(receive_messages, [])", store)
    say('send(pid, ("store", 23))', send(store, ("store", 23)))
    say('send(pid, ("store", "hello"))', send(store, ("store", "hello")))
    say('send(pid, ("send_all_values", self()))', send(store, ("send_all_values", self())))
    say("flush()", await receive(("all_values", ANY)))

    print("\n# and when a process crashes, a linked process hears about it:")
    Process.flag("trap_exit", True)
    child = spawn_link(fragile)
    say("child = spawn_link(fragile)", child)
    send(child, "crash")
    _, who, reason = await receive(("EXIT", child, ANY))
    say("flush()", f"('EXIT', {who!r}, {reason!r})")
    print("\nLong live long-lived processes!")


if __name__ == "__main__":
    logging.basicConfig(format="[%(levelname)s] %(message)s")  # crash reports, as iex shows them
    livelong.run(main)
