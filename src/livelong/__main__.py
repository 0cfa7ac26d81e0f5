"""``python -m livelong`` / ``livelong``: the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any


def version_line() -> str:
    """What ``livelong --version`` prints: the package's version and its kernel.

    >>> version_line().startswith("livelong ")
    True
    """
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("livelong")
    except PackageNotFoundError:  # run from a source tree that was never installed
        v = "unknown"
    return f"livelong {v} (Python {sys.version.split()[0]}, pure-Python kernel)"


def _log_level(text: str) -> str:
    import logging

    level = text.upper()
    if not isinstance(logging.getLevelName(level), int):
        raise argparse.ArgumentTypeError(f"unknown log level {text!r}")
    return level


DASHBOARD_PORT = 8000  # the port of a bare --dashboard


def _dashboard_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dashboard",
        metavar="PORT",
        nargs="?",
        type=int,
        const=DASHBOARD_PORT,
        default=None,
        help=f"serve the web dashboard on 127.0.0.1:PORT (default {DASHBOARD_PORT})",
    )


def _dashboard_starter(port: int | None) -> Callable[[], Any] | None:
    """What starts the dashboard inside the node, for ``--dashboard[=PORT]``."""
    if port is None:
        return None

    def start() -> Any:
        from . import dashboard

        return dashboard.start(port=port)

    return start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="livelong", description="Erlang/Elixir processes in Python"
    )
    parser.add_argument(
        "--version", action="version", version=version_line(), help="print the version"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    shell = sub.add_parser("shell", help="an iex-like interactive shell on a fresh node")
    shell.add_argument(
        "--script", metavar="FILE", help="run FILE as shell input, echoed as a transcript"
    )
    shell.add_argument("--remsh", metavar="NAME@HOST", help="open a shell on a running node")
    _dashboard_flag(shell)

    run = sub.add_parser(
        "run", help="start an application: a supervision tree from module:function"
    )
    run.add_argument("target", metavar="MODULE:FUNCTION")
    run.add_argument(
        "--log-level",
        metavar="LEVEL",
        type=_log_level,
        help="level of livelong's own loggers (DEBUG, INFO, WARNING, ERROR); the "
        "application's logging configuration is left alone",
    )
    _dashboard_flag(run)

    sub.add_parser("demo", help="the article's story, told by livelong")

    args = parser.parse_args(argv)
    if args.command == "shell":
        from .shell import main as shell_main

        return shell_main(
            script=args.script, remsh=args.remsh, on_start=_dashboard_starter(args.dashboard)
        )
    if args.command == "run":
        from .otp._application import main as app_main

        return app_main(args.target, args.log_level, on_start=_dashboard_starter(args.dashboard))
    if args.command == "demo":
        import runpy
        from pathlib import Path

        demo = Path(__file__).parent / "_demo.py"
        runpy.run_path(str(demo), run_name="__main__")
        return 0
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
