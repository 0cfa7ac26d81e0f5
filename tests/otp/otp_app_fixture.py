"""Applications for test_application.py, run by ``livelong run`` in a subprocess."""

from __future__ import annotations

import sys

from livelong import GenServer, NoReply, Process, Supervisor


class Worker(GenServer):
    def init(self, name):
        Process.flag("trap_exit", True)  # so that terminate runs on shutdown
        print(f"start {name}", flush=True)
        return name

    def handle_cast(self, request, name):
        return NoReply(name)

    async def terminate(self, reason, name):
        await Process.sleep(0.01)
        print(f"stop {name} {reason}", flush=True)


def start():
    """A list of child specs: livelong runs them under a one_for_one supervisor."""
    middle = Supervisor.child_spec([Worker.child_spec("m1", id="m1"),
                                    Worker.child_spec("m2", id="m2")], id="mid")  # fmt: skip
    return [Worker.child_spec("w1", id="w1"), middle, Worker.child_spec("w3", id="w3")]


async def start_root():
    """Starts the root itself and returns its pid."""
    return await Supervisor.start_link([Worker.child_spec("only", id="only")])


async def start_unlinked_root():
    """Starts the root without a link (it has no parent) and returns its pid."""
    return await Supervisor.start([Worker.child_spec("alone", id="alone")])


def doomed():
    """A tree that gives up on its own: the command exits with status 1."""
    from livelong import spawn_link

    print("doomed", file=sys.stderr, flush=True)
    return [{"id": "crasher", "start": (_delayed_crash_start, (spawn_link,))}]


def _delayed_crash_start(spawn_link):
    return spawn_link(_crash_later)


async def _crash_later():
    await Process.sleep(0.05)
    raise RuntimeError("always crashing")


def not_a_tree():
    return 42
