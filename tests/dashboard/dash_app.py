"""An application for ``livelong run dash_app:start --dashboard=PORT`` (test_cli)."""

from livelong import GenServer


class Store(GenServer):
    def init(self, arg):
        return arg


def start():
    return [Store.child_spec({}, id="store")]
