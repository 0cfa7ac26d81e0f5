"""The article's SimpleGenServer: a long-lived process that stores values.

Load it in the shell with ``c("docs/transcripts/examples/simple_gen_server.py")``.
"""

from livelong import receive, send, tail


class SimpleGenServer:
    """A process that is long-lived, handles messages and keeps state."""

    def start():
        """The process starts here, with an empty list as its state."""
        initial_state = []
        return tail(SimpleGenServer.receive_messages, initial_state)

    async def receive_messages(state):
        """Take one message, handle it, and go on with the new state."""
        msg = await receive()
        _ok, new_state = SimpleGenServer.handle_message(msg, state)
        return tail(SimpleGenServer.receive_messages, new_state)

    def handle_message(msg, state):
        """``("store", value)`` adds a value; ``("send_all_values", pid)`` sends them."""
        match msg:
            case ("store", value):
                return ("ok", [value, *state])
            case ("send_all_values", pid):
                send(pid, ("all_values", state))
                return ("ok", state)
