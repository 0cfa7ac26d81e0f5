"""Unannotated overrides with their own parameter names, as most users write them:
pyright's default mode and plain mypy accept them."""

from livelong import GenServer, NoReply, Reply


class Echo(GenServer):
    def init(self, items):
        return list(items)

    def handle_call(self, msg, caller, s):
        return Reply(msg, s)

    def handle_cast(self, msg, s):
        return NoReply(s)

    def handle_info(self, msg, state):
        return NoReply(state)

    def terminate(self, why, s):
        pass
