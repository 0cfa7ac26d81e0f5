"""``livelong run module:function``: run an application until SIGTERM or Ctrl-C.

The function (sync or async) runs in the application's first process and either

* starts the root of a supervision tree linked to it and returns its pid
  (``return await App.start_link()``), or
* returns a list of child specs, which are started under a one_for_one
  :class:`~livelong.Supervisor`.

Then the node runs until SIGTERM or SIGINT (Ctrl-C).  The root is stopped with
``GenServer.stop(root, "shutdown")`` (a supervisor is a GenServer; linked or not, it
runs its shutdown): every supervisor stops its children in reverse start order, each
within its shutdown time, and the command exits with status 0.  A second signal while stopping
kills the tree at once (status 1).  If the tree dies on its own (say its root reached its
restart intensity) the command exits with status 1; a bad target exits with status 2.

``myapp.py``::

    from livelong import Supervisor, Registry
    from .workers import Cache, Web

    def start():
        return [Registry.child_spec(keys="unique", name="sessions"), Cache, (Web, 8080)]

``$ livelong run myapp:start``
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from .._core import ANY, Exit, Pid, Process, link, receive, send, spawn
from .._core import self as _self
from .._runtime import run
from ._gen_server import GenServer, format_term, is_normal_reason
from ._supervisor import Supervisor

__all__ = ["main", "run_application"]

logger = logging.getLogger("livelong.application")

_SIGNAL = "$app_signal"


def _load(target: str) -> Any:
    module_name, sep, fn_name = target.partition(":")
    if not sep or not module_name or not fn_name:
        raise ValueError(f"expected MODULE:FUNCTION, got {target!r}")
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # as `python -m` does: modules of the current dir
    module = importlib.import_module(module_name)
    fn = module
    for part in fn_name.split("."):
        fn = getattr(fn, part)
    if not callable(fn):
        raise ValueError(f"{target}: {fn_name} is not callable")
    return fn


async def run_application(
    fn: Any, target: str = "", on_start: Callable[[], Any] | None = None
) -> int:
    """The application's first process: start the tree, wait for a signal, stop it."""
    Process.flag("trap_exit", True)
    me = _self()
    try:
        result = fn()
        if hasattr(result, "__await__"):
            result = await result
        if isinstance(result, Pid):
            root = result
            link(root)  # its EXIT tells us it stopped (already linked if from start_link)
        elif isinstance(result, list | tuple):
            started = await Supervisor.start_link(list(result), strategy="one_for_one")
            assert started is not None  # a Supervisor's init never ignores
            root = started
        else:
            raise TypeError(
                f"{target or fn!r} returned {format_term(result, 200)}; return the pid of "
                "the root supervisor (started with start_link) or a list of child specs"
            )
    except Exception as e:
        _start_failed(target, e)
        return 1
    if on_start is not None:
        on_start()
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, send, me, (_SIGNAL, sig.name))
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):  # not the main thread
            pass
    print(
        f"livelong: {target or 'application'} running, root {root!r}; stop with SIGTERM or Ctrl-C",
        file=sys.stderr,
        flush=True,
    )
    try:
        msg = await receive((_SIGNAL, ANY), ("EXIT", root, ANY))
        if msg[0] == "EXIT":
            reason = msg[2]
            print(
                f"livelong: the application's root {root!r} exited: {format_term(reason)}",
                file=sys.stderr,
                flush=True,
            )
            return 0 if reason == "normal" else 1
        print(f"livelong: {msg[1]}, stopping the application", file=sys.stderr, flush=True)
        # not an exit signal: a root started without a link has no parent to obey.  In
        # a process of its own, so that a second signal still reaches us meanwhile.
        spawn(_stop_root, root)
        msg = await receive((_SIGNAL, ANY), ("EXIT", root, ANY))
        if msg[0] == _SIGNAL:
            print(f"livelong: {msg[1]} again, killing the application", file=sys.stderr, flush=True)
            Process.exit(root, "kill")
            await receive(("EXIT", root, ANY))
            return 1
        reason = msg[2]
        if not is_normal_reason(reason):
            print(
                f"livelong: the application stopped with {format_term(reason)}",
                file=sys.stderr,
                flush=True,
            )
            return 1
        print("livelong: stopped", file=sys.stderr, flush=True)
        return 0
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _start_failed(target: str, e: BaseException) -> None:
    """Report a failed start once: a GenServer whose ``init`` raised has logged its
    traceback already, so only the summary is added; any other error is logged here
    with its traceback (the kernel's crash report of this process is not needed)."""
    logged = False
    err: BaseException | None = e
    while err is not None and not logged:
        logged = any(n.startswith("(raised in init of ") for n in getattr(err, "__notes__", ()))
        err = err.__cause__
    summary = f"{target or 'application'} failed to start: {type(e).__name__}: {e}"
    if logged:
        logger.error("%s", summary.split("\n", 1)[0])
    else:
        logger.error("%s", summary, exc_info=e)


class _FallbackHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """``livelong run``'s handler on the ``livelong`` logger: it prints only while the
    application has configured no logging of its own (no handler on the root logger),
    so an application's ``logging.basicConfig`` or ``dictConfig`` (at import or in its
    start function) takes over without livelong's records appearing twice."""

    def emit(self, record: logging.LogRecord) -> None:
        if not logging.getLogger().handlers:
            super().emit(record)


def configure_logging(log_level: str | None = None) -> None:
    """What ``livelong run`` does to logging: livelong's records go to stderr while
    the application configured nothing; the root logger and its level are left to the
    application.  ``log_level`` (``"INFO"``, ``"debug"``, ``"WARNING"``...) is the
    level of the ``livelong`` loggers."""
    lg = logging.getLogger("livelong")
    if not any(isinstance(h, _FallbackHandler) for h in lg.handlers):
        handler = _FallbackHandler()
        handler.setFormatter(logging.Formatter("[%(levelname)s] %(name)s: %(message)s"))
        lg.addHandler(handler)
    if log_level is not None:
        lg.setLevel(log_level.upper())


async def _stop_root(root: Pid) -> None:
    try:
        await GenServer.stop(root, "shutdown")
    except Exit:
        pass  # it exited otherwise (or was killed): the application reports its EXIT


def main(
    target: str, log_level: str | None = None, on_start: Callable[[], Any] | None = None
) -> int:
    """Entry point of ``livelong run MODULE:FUNCTION``; returns the exit status.
    ``on_start`` runs in the node once the tree is up (``--dashboard`` starts the
    dashboard)."""
    configure_logging(log_level)
    try:
        fn = _load(target)
    except (ImportError, AttributeError, ValueError) as e:
        print(f"livelong run: cannot load {target!r}: {e}", file=sys.stderr)
        return 2
    try:
        status = run(run_application, fn, target, on_start)
    except Exception as e:
        print(f"livelong run: {target} failed to start: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return int(status)
