"""The shell's helpers: ``flush``, ``i``, ``pid``, ``processes``, ``h`` and ``c``.

They read processes only through snapshots (``Process.info``, ``Process.list``) and
run inside the shell process, like everything typed at the prompt.
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import livelong
from livelong import Pid, Process

from ._code import format_value

__all__ = ["function_text", "make_helpers"]

_PID_TEXT = re.compile(r"\s*(?:#PID)?<?(\d+)\.(\d+)\.(\d+)>?\s*")


def function_text(mfa: Any) -> str:
    """``('__main__', 'LiveLong.run', 0)`` as Elixir writes it: ``LiveLong.run/0``."""
    if not (isinstance(mfa, tuple) and len(mfa) == 3):
        return repr(mfa)
    module, name, arity = mfa
    prefix = "" if module in ("__main__", "?", None) else f"{module}."
    return f"{prefix}{name}/{arity}"


def make_helpers(namespace: dict[str, Any]) -> dict[str, Callable[..., Any]]:
    """The helpers of a shell whose inputs run in ``namespace`` (``c`` binds there)."""
    loaded: set[str] = set()

    def flush() -> None:
        """Print every message in the shell's mailbox, oldest first, and empty it."""
        count = 0
        while True:
            try:
                msg = livelong.receive_nowait()
            except TimeoutError:
                break
            print(format_value(msg))
            count += 1
        if not count:
            print("# the mailbox is empty")

    def i(term: Any = None) -> None:
        """Print what is known of a process (a pid or a registered name; the shell
        itself with no argument), or describe any other value."""
        if term is None:
            term = livelong.self()
        target = livelong.whereis(term) if isinstance(term, str) else term
        if isinstance(target, Pid):
            print(_process_text(target))
        else:
            print(_term_text(term))

    def pid(*parts: Any) -> Pid:
        """A pid from its text, ``pid("0.84.0")`` (also ``"<0.84.0>"`` and
        ``"#PID<0.84.0>"``), or from its three numbers, ``pid(0, 84, 0)``."""
        if len(parts) == 3 and all(isinstance(p, int) for p in parts):
            numbers = tuple(parts)
        elif len(parts) == 1 and isinstance(parts[0], str) and _PID_TEXT.fullmatch(parts[0]):
            m = _PID_TEXT.fullmatch(parts[0])
            assert m is not None
            numbers = (int(m[1]), int(m[2]), int(m[3]))
        else:
            given = ", ".join(map(repr, parts))
            raise ValueError(
                f'pid({given}): expected a pid as text, like pid("0.84.0"), '
                "or its three numbers, like pid(0, 84, 0)"
            )
        node_index, number, serial = numbers
        if node_index != 0:
            raise ValueError(
                f"pid: node {node_index} is not known here: only this node (0) is, "
                "until livelong has distribution"
            )
        for live in Process.list():
            if live.id == number and live.serial == serial:
                return live
        return Pid(livelong.node().name, number, serial)

    def processes() -> None:
        """Print a table of the node's live processes."""
        rows = [("PID", "NAME", "CURRENT FUNCTION", "QUEUE", "MEMORY", "REDUCTIONS")]
        for p in sorted(Process.list()):
            info = Process.info(p)
            if info is None:
                continue
            rows.append(
                (
                    repr(p),
                    info["registered_name"] or "-",
                    function_text(info["current_function"]),
                    str(info["message_queue_len"]),
                    str(info["memory"]),
                    str(info["reductions"]),
                )
            )
        widths = [max(len(row[col]) for row in rows) for col in range(len(rows[0]))]
        for row in rows:
            cells = [
                cell.rjust(w) if col >= 3 else cell.ljust(w)
                for col, (cell, w) in enumerate(zip(row, widths, strict=True))
            ]
            print("  ".join(cells).rstrip())

    def h(obj: Any = _NOTHING) -> None:
        """Print help: on the shell with no argument, else on a function, class or
        module (its signature and documentation)."""
        if obj is _NOTHING:
            print(_shell_help(helpers))
        else:
            print(_help_text(obj))

    def c(path: str) -> list[str]:
        """Load a Python file into the shell: run it as a module (named after the file)
        and bind the names it defines; returns those names."""
        file = Path(path).expanduser()
        if not file.is_file():
            raise FileNotFoundError(f"c: no such file: {path!r} (from {Path.cwd()})")
        name = file.stem
        spec = importlib.util.spec_from_file_location(name, file)
        if spec is None or spec.loader is None or not name.isidentifier():
            raise ImportError(f"c: cannot load {path!r} as a Python module")
        module = importlib.util.module_from_spec(spec)
        owned = name not in sys.modules or name in loaded
        if owned:
            sys.modules[name] = module  # classes defined there can be found by name
        try:
            spec.loader.exec_module(module)
        except BaseException:
            if owned:
                sys.modules.pop(name, None)
            raise
        if owned:
            loaded.add(name)
        exported = getattr(module, "__all__", None)
        if exported is None:
            exported = [
                n
                for n, v in vars(module).items()
                if not n.startswith("_") and getattr(v, "__module__", None) == name
            ]
        names = list(exported)
        for n in names:
            namespace[n] = getattr(module, n)
        return names

    helpers: dict[str, Callable[..., Any]] = {
        "flush": flush,
        "i": i,
        "pid": pid,
        "processes": processes,
        "h": h,
        "c": c,
    }
    return helpers


class _Nothing:
    def __repr__(self) -> str:
        return "<nothing>"


_NOTHING: Any = _Nothing()


def _process_text(target: Pid) -> str:
    info = Process.info(target)
    if info is None:
        return f"{target!r} is not alive"
    rows = [
        ("status", info["status"]),
        ("registered name", info["registered_name"] or "-"),
        ("current function", function_text(info["current_function"])),
        ("initial call", function_text(info["initial_call"])),
        ("message queue", str(info["message_queue_len"])),
        ("links", _pids(info["links"])),
        ("monitors", _pids([p for _, p in info["monitors"]])),
        ("monitored by", _pids(info["monitored_by"])),
        ("trap exit", str(info["trap_exit"])),
        ("reductions", str(info["reductions"])),
        ("memory", f"{info['memory']} bytes"),
    ]
    lines = [f"Process {target!r}"]
    lines += [f"  {key:<18}{value}" for key, value in rows]
    messages = info["messages"]
    for msg in messages[:10]:
        lines.append(f"    {format_value(msg)}")
    if len(messages) > 10:
        lines.append(f"    ... and {len(messages) - 10} more")
    return "\n".join(lines)


def _pids(pids: list[Any]) -> str:
    return ", ".join(map(repr, pids)) if pids else "-"


def _term_text(term: Any) -> str:
    tp = type(term)
    kind = tp.__qualname__ if tp.__module__ == "builtins" else f"{tp.__module__}.{tp.__qualname__}"
    lines = ["Term", f"  {format_value(term)}", "Data type", f"  {kind}"]
    if isinstance(term, str):
        lines += ["Note", f"  no process is registered as {term!r}"]
    doc = inspect.getdoc(term) if callable(term) or inspect.ismodule(term) else None
    if doc:
        lines += ["Description", f"  {doc.splitlines()[0]}"]
    return "\n".join(lines)


def _signature(obj: Any) -> str:
    """``(pid, key=None)``: the parameters, without annotations."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return "(...)" if callable(obj) else ""
    bare = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    return str(sig.replace(parameters=bare, return_annotation=inspect.Signature.empty))


_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|mod|attr|exc|data|obj):`~?([^`]+)`")


def plain_doc(doc: str) -> str:
    """A docstring as a person reads it: reST roles and double backquotes become plain
    `code`, a ``~`` prefix keeps only the last part of the name.

    >>> plain_doc("See :meth:`start_link` and :class:`~livelong.Exit`; ``timeout=None``.")
    'See `start_link` and `Exit`; `timeout=None`.'
    """
    doc = _ROLE.sub(
        lambda m: (
            f"`{m.group(1).rsplit('.', 1)[-1]}`" if m.group(0).count("~") else f"`{m.group(1)}`"
        ),
        doc,
    )
    return doc.replace("``", "`")


def first_sentence(doc: str) -> str:
    """The first sentence of a docstring's first paragraph, whole, on one line.

    >>> first_sentence("Start it; returns its pid when\\ninit is done.  Then more.")
    'Start it; returns its pid when init is done.'
    """
    para = " ".join(doc.split("\n\n", 1)[0].split())
    m = re.search(r"[.!?](?=\s|$)", para)
    return para[: m.end()] if m else para


def _help_text(obj: Any) -> str:
    if not (callable(obj) or inspect.ismodule(obj)):
        obj = type(obj)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or repr(obj)
    head = name if inspect.ismodule(obj) or inspect.isclass(obj) else f"{name}{_signature(obj)}"
    if inspect.isclass(obj):
        head = f"class {name}"
    doc = plain_doc(inspect.getdoc(obj) or "(no documentation)")
    lines = [head, ""] + [f"    {line}".rstrip() for line in doc.splitlines()]
    if inspect.isclass(obj) or inspect.ismodule(obj):
        members = []
        names = getattr(obj, "__all__", None) if inspect.ismodule(obj) else None
        for attr in names or sorted(vars(obj)):
            if attr.startswith("_"):
                continue
            value = inspect.getattr_static(obj, attr, None)
            value = getattr(obj, attr, value)
            if callable(value):
                summary = first_sentence(plain_doc(inspect.getdoc(value) or ""))
                members.append(f"  {attr}{_signature(value)}  {summary}".rstrip())
        if members:
            lines += ["", "Members:"] + members
    return "\n".join(lines)


_USAGE = {
    "flush": ("flush()", "print the shell's mailbox and empty it"),
    "i": ("i(pid)", "what is known of a process (a pid or a name); i() is the shell"),
    "pid": ('pid("0.84.0")', "a pid from its text"),
    "processes": ("processes()", "a table of the node's live processes"),
    "h": ("h(obj)", "the documentation of obj; h() is this help"),
    "c": ('c("file.py")', "load a Python file and bind what it defines"),
}


def _shell_help(helpers: dict[str, Callable[..., Any]]) -> str:
    lines = [
        "livelong shell: every input runs in the shell's own process (see self()),",
        "with top-level await: `await receive()` takes a message from its mailbox.",
        "",
        "Helpers:",
    ]
    for name in helpers:
        usage, summary = _USAGE.get(name, (f"{name}(...)", ""))
        lines.append(f"  {usage:<16}{summary}".rstrip())
    lines += [
        "",
        "Also in scope: the livelong API (spawn, send, receive, self, tail, Process, ...)",
        "and `livelong` itself.",
        "Ctrl-C interrupts the running input; Ctrl-D leaves the shell and stops the node.",
    ]
    return "\n".join(lines)
