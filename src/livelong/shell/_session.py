"""A shell session on a fresh node in this OS process.

Threads: the node's event loop runs on the main thread, where Ctrl-C (SIGINT) lands;
the front end (the prompt, or a script) runs on a thread of its own and hands each
input to the session with :meth:`LocalSession.evaluate`, which blocks that thread
until the input has run.

The *shell process* is an ordinary livelong process.  It waits for inputs (on an
asyncio future, so its mailbox holds only what others send it) and runs each one
itself: ``self()`` is its pid, ``await receive()`` takes from its mailbox, ``flush()``
empties it.  An exception in an input is shown and the process goes on; an exit signal
ends it, as in iex, and a new shell process takes over the same variables.

Ctrl-C interrupts only the running input:

* when the input's own code is running (a busy loop, ``time.sleep``), the SIGINT
  handler raises ``KeyboardInterrupt`` right there, in the shell process;
* when the input waits (``await receive()``, ``await Process.sleep(5)``), the shell
  process is cancelled as an asyncio task is, in the loop, between two steps.

Another process is never touched, with one exception: a process that holds the node's
only thread without ever yielding (``while True: pass``; the watchdog has reported it)
leaves nothing else able to run, so Ctrl-C kills it, as iex's break menu would.
"""

from __future__ import annotations

import asyncio
import builtins
import concurrent.futures
import logging
import rlcompleter
import shutil
import signal
import socket
import sys
import sysconfig
import threading
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from types import FrameType
from typing import Any, Protocol

import livelong
from livelong import Exit, Pid, lowlevel

from ._code import compile_input, format_exception, format_syntax_error, format_value, run
from ._helpers import make_helpers

__all__ = ["Frontend", "LocalSession", "Outcome", "Session", "make_namespace"]


@dataclass(frozen=True)
class Outcome:
    """What one input gave, ready to show.

    ``kind`` is ``"value"`` (``text`` is its repr, empty for None), ``"error"`` (a
    traceback), ``"interrupted"`` (Ctrl-C), ``"exited"`` (the shell process was ended
    by an exit signal; a new one took over) or ``"quit"`` (``quit()``/``sys.exit()``:
    leave the shell with ``code``).
    """

    kind: str
    text: str = ""
    code: int = 0


class Session(Protocol):
    """What a front end needs from a shell, local or (later) on a remote node."""

    banner: str

    def evaluate(self, source: str) -> Outcome: ...

    def interrupt(self) -> None: ...

    def complete(self, word: str) -> list[str]: ...

    def run(self, frontend: Frontend) -> int:
        """Serve ``frontend`` until it ends; the exit status."""
        ...


class Frontend(Protocol):
    def serve(self, session: Session) -> int:
        """Read inputs, evaluate them, show outcomes; return the exit status."""
        ...


def make_namespace() -> dict[str, Any]:
    """The variables of a new shell: the public livelong API as ``from livelong import
    *`` gives it, plus ``livelong``.  The helpers live one level down, beside the
    builtins, so ``pid = spawn(...)`` shadows the helper ``pid`` only until ``del pid``.
    """
    namespace: dict[str, Any] = {"__name__": "__main__", "__doc__": None}
    namespace.update({name: getattr(livelong, name) for name in livelong.__all__})
    namespace["livelong"] = livelong
    namespace["exit"] = ShellExit(livelong.exit)
    shell_builtins = dict(vars(builtins))
    shell_builtins.update(make_helpers(namespace))
    namespace["__builtins__"] = shell_builtins
    return namespace


LEAVING = "to leave the shell: quit() or Ctrl-D"


class ShellExit:
    """The shell's ``exit``: livelong's ``exit(reason)`` / ``exit(pid, reason)``, which
    ends a process as Elixir's ``exit/1`` does; typed bare (``exit()`` or ``exit``), as
    in Python's REPL, it says how to leave the shell instead."""

    def __init__(self, exit_fn: Callable[..., Any]) -> None:
        self._exit = exit_fn
        self.__doc__ = exit_fn.__doc__

    def __call__(self, *args: Any) -> Any:
        if not args:
            print(f"exit(reason) ends the current process, as Elixir's exit/1; {LEAVING}")
            return None
        return self._exit(*args)

    def __repr__(self) -> str:
        return f"exit(reason) or exit(pid, reason); {LEAVING}"


class LocalSession:
    """A shell on a fresh node run by this OS process (see the module doc)."""

    def __init__(
        self, node_name: str | None = None, on_start: Callable[[], Any] | None = None
    ) -> None:
        self.node = livelong.Node(node_name) if node_name else livelong.Node()
        self._on_start = on_start  # run in the loop once it runs (say, a dashboard)
        self.node.runaway_hint = "Press Ctrl-C in the shell to kill it."
        self.namespace = make_namespace()
        self.banner = (
            f"livelong {livelong.__version__} shell on node {self.node.name} "
            f"(Python {sys.version.split()[0]}); h() for help, Ctrl-D to leave"
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._shell: ShellProcess | None = None
        self._inputs = 0
        self._stopping = False
        self._exit_code = 0
        self._signals = False

    # --- called from the front end's thread ----------------------------------------
    def evaluate(self, source: str) -> Outcome:
        """Run ``source`` in the shell process; blocks until it has run."""
        loop = self._loop
        assert loop is not None, "the session is not running"
        reply: concurrent.futures.Future[Outcome] = concurrent.futures.Future()
        loop.call_soon_threadsafe(self._submit, source, reply)
        return reply.result()

    def interrupt(self) -> None:
        """Do what Ctrl-C does: interrupt the running input."""
        if self._signals:
            self._resignal()
        elif self._loop is not None:
            self._loop.call_soon_threadsafe(self._cancel_input)

    def complete(self, word: str) -> list[str]:
        """Completions of the name or dotted name ``word`` in the shell's scope."""
        try:
            scope = {**self.namespace["__builtins__"], **self.namespace}
            completer = rlcompleter.Completer(scope)
            found: list[str] = []
            for state in range(500):
                match = completer.complete(word, state)
                if match is None:
                    break
                if match not in found:
                    found.append(match)
            return found
        except Exception:  # the scope changed under us, or an attribute raised
            return []

    def stop(self, code: int = 0) -> None:
        self._exit_code = code
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._loop.stop)

    # --- the main thread -------------------------------------------------------------
    def run(self, frontend: Frontend) -> int:
        """Run the node on this thread and ``frontend`` on another until it ends; then
        stop every process of the node and return the exit status."""
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self.node.attach(loop)
        undo_signals = self._install_sigint(loop)
        undo_logging = _show_logs()
        try:
            self._start_shell(deque())
            if self._on_start is not None:
                loop.call_soon(self._on_start)
            thread = threading.Thread(
                target=self._front, args=(frontend,), name="livelong-shell-input", daemon=True
            )
            thread.start()
            loop.run_forever()
        finally:
            self._stopping = True
            self.node.detach()  # every process ends, its finally blocks run
            undo_logging()
            undo_signals()
            loop.close()
            asyncio.set_event_loop(None)
        return self._exit_code

    def _front(self, frontend: Frontend) -> None:
        code = 1
        try:
            code = frontend.serve(self)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            self.stop(code)

    def _install_sigint(self, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
        if threading.current_thread() is not threading.main_thread():
            return lambda: None  # signals are the main thread's: Ctrl-C cancels only
        # SIGINT may be taken by any thread; the wake-up socket makes sure the main
        # thread leaves its select() and runs the handler at once.
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        loop.add_reader(wake_r.fileno(), _drain, wake_r)
        old_fd = signal.set_wakeup_fd(wake_w.fileno(), warn_on_full_buffer=False)
        old_handler = signal.signal(signal.SIGINT, self._on_sigint)
        self._signals = True

        def undo() -> None:
            self._signals = False
            signal.signal(signal.SIGINT, old_handler)
            signal.set_wakeup_fd(old_fd)
            loop.remove_reader(wake_r.fileno())
            wake_r.close()
            wake_w.close()

        return undo

    def _resignal(self) -> None:
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        shell = self._shell
        if shell is None:
            return
        in_input = shell.busy and _running(frame, ShellProcess.evaluate.__code__)
        runaway = None if in_input else lowlevel.runaway_process()
        if (in_input or runaway is not None) and _inside_livelong(frame):
            # Raising here would leave livelong's records half-updated (a process
            # spawned but never queued): try again in a moment, once the code is out.
            threading.Timer(0.005, self._resignal).start()
            return
        if in_input:
            raise KeyboardInterrupt  # in the input's own code, in the shell process
        if runaway is not None and runaway != shell.pid:
            # Another process holds the node's only thread and never yields (the
            # watchdog reported it): nothing the shell runs can stop it, so Ctrl-C
            # does, as iex's break menu would.  This handler runs in that process.
            print(
                f"** (Ctrl-C) killed runaway process {runaway!r}: it held the node "
                "without yielding",
                flush=True,
            )
            raise lowlevel.Interrupt
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._cancel_input)

    # --- the loop thread ---------------------------------------------------------------
    def _submit(self, source: str, reply: concurrent.futures.Future[Outcome]) -> None:
        assert self._shell is not None
        self._shell.submit(source, reply)

    def _cancel_input(self) -> None:
        if self._shell is not None:
            self._shell.cancel()

    def next_filename(self) -> str:
        self._inputs += 1
        return f"<shell:{self._inputs}>"

    def _start_shell(self, inputs: deque[tuple[str, Any]]) -> None:
        shell = ShellProcess(self, inputs)
        shell.pid = self.node.spawn_watched(shell.serve, (), partial(self._shell_exited, shell))
        self._shell = shell

    def _shell_exited(self, shell: ShellProcess, reason: Any, result: Any) -> None:
        """The kernel ended the shell process (an exit signal: a link, a kill): say so
        and start another one, which keeps the variables and the waiting inputs."""
        if self._stopping or shell is not self._shell:
            return
        notice = (
            f"** (EXIT from {shell.pid!r}) shell process exited with reason: "
            f"{describe_reason(reason)}"
        )
        self._start_shell(shell.inputs)
        reply = shell.reply_to
        if reply is not None and not reply.done():
            reply.set_result(Outcome("exited", "\n".join(filter(None, [shell.shown, notice]))))
        else:
            print(notice, flush=True)


class ShellProcess:
    """The code of one shell process and what the session knows of it."""

    def __init__(self, session: LocalSession, inputs: deque[tuple[str, Any]]) -> None:
        self.session = session
        self.inputs = inputs
        self.pid: Pid | None = None
        self.task: Any = None  # the kernel's record of this process, as asyncio sees it
        self.busy = False  # an input is running: Ctrl-C is for it
        self.interrupts = 0  # Ctrl-C's that cancelled the running input
        self.reply_to: concurrent.futures.Future[Outcome] | None = None
        self.shown = ""
        self._wake: asyncio.Future[None] | None = None

    def submit(self, source: str, reply: concurrent.futures.Future[Outcome]) -> None:
        self.inputs.append((source, reply))
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    def cancel(self) -> None:
        if self.busy and self.task is not None:
            self.interrupts += 1
            self.task.cancel()

    async def serve(self) -> None:
        self.task = asyncio.current_task()
        while True:
            source, reply = await self._next_input()
            self.reply_to = reply
            outcome = await self.evaluate(source)
            self.shown = outcome.text
            # What the input spawned or woke runs before the prompt comes back, so a
            # quick process has finished (and said so) by then.
            await asyncio.sleep(0)
            self.reply_to = None
            self.shown = ""
            if not reply.done():
                reply.set_result(outcome)

    async def _next_input(self) -> tuple[str, concurrent.futures.Future[Outcome]]:
        while not self.inputs:
            self._wake = asyncio.get_running_loop().create_future()
            try:
                await self._wake
            except asyncio.CancelledError:
                if self.task is not None:
                    self.task.uncancel()  # a cancel with no input to interrupt
            finally:
                self._wake = None
        return self.inputs.popleft()

    async def evaluate(self, source: str) -> Outcome:
        """Run one input in this process and say what it gave."""
        namespace = self.session.namespace
        try:
            compiled = compile_input(source, self.session.next_filename())
        except (SyntaxError, ValueError, OverflowError) as e:
            return Outcome("error", format_syntax_error(e))
        try:
            try:
                self.busy = True
                value = await run(compiled, namespace)
                text = "" if value is None else format_value(value, _width())
            finally:
                self.busy = False
        except KeyboardInterrupt:
            return Outcome("interrupted", "KeyboardInterrupt")
        except lowlevel.ProcessExit:
            raise  # an exit signal ends the shell process: another takes over
        except asyncio.CancelledError as e:
            if self.interrupts:
                return Outcome("interrupted", "KeyboardInterrupt")
            return Outcome("error", format_exception(e))
        except SystemExit as e:
            return _quit(e)
        except Exit as e:
            return Outcome("error", f"** (exit) {describe_reason(e.reason)}")
        except Exception as e:
            return Outcome("error", format_exception(e))
        finally:
            while self.interrupts:
                self.interrupts -= 1
                self.task.uncancel()
        if value is not None:
            namespace["_"] = value
        return Outcome("value", text)


def describe_reason(reason: Any) -> str:
    """An exit reason as the shell prints it."""
    if isinstance(reason, BaseException):
        return f"an exception was raised:\n    ** ({type(reason).__name__}) {reason}"
    return format_value(reason)


def _quit(e: SystemExit) -> Outcome:
    if e.code is None or isinstance(e.code, int):
        return Outcome("quit", "", e.code or 0)
    return Outcome("quit", str(e.code), 1)


_LIVELONG_FILES = lowlevel.internal_files() | {livelong._runtime.__file__}


_STDLIB = sysconfig.get_paths()["stdlib"]


def _inside_livelong(frame: FrameType | None) -> bool:
    """True when the code running now (past any standard-library frames it called)
    is livelong's kernel or primitives rather than the process's own code."""
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith(_STDLIB):
            return name in _LIVELONG_FILES
        frame = frame.f_back
    return False


def _running(frame: FrameType | None, code: Any) -> bool:
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False


def _drain(sock: socket.socket) -> None:
    try:
        while sock.recv(4096):
            pass
    except OSError:
        pass


def _width() -> int:
    return shutil.get_terminal_size((80, 24)).columns


class _LogFormatter(logging.Formatter):
    """Elixir's Logger look: ``[error] Process #PID<0.90.0> raised an exception``."""

    def format(self, record: logging.LogRecord) -> str:
        return f"[{record.levelname.lower()}] {super().format(record)}"


class _ToStdout(logging.Handler):
    """Writes to whatever ``sys.stdout`` is now (the prompt may have patched it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            sys.stdout.write(text + "\n")
            sys.stdout.flush()
        except Exception:
            self.handleError(record)


def _show_logs() -> Callable[[], None]:
    """Show livelong's log (crash reports among it) in the shell, as iex does."""
    logger = logging.getLogger("livelong")
    handler = _ToStdout(logging.INFO)
    handler.setFormatter(_LogFormatter())
    old = (logger.level, logger.propagate)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False

    def undo() -> None:
        logger.removeHandler(handler)
        logger.level, logger.propagate = old

    return undo
