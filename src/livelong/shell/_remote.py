"""``livelong shell --remsh NAME@HOST``: a shell on a node that is already running.

The seam is here; the rest needs distribution (connecting to a node, running the shell
process there and carrying its inputs and outcomes).  A remote session will implement
:class:`~._session.Session` (``evaluate``, ``interrupt``, ``complete``, ``banner``),
and the front ends will work with it unchanged.
"""

from __future__ import annotations

from ._session import Session

__all__ = ["RemoteShellUnavailable", "connect"]


class RemoteShellUnavailable(RuntimeError):
    """``--remsh`` cannot be served (yet)."""


def connect(target: str) -> Session:
    """A session on the running node ``target`` (``NAME@HOST``)."""
    name, sep, host = target.partition("@")
    if not (name and sep and host):
        raise RemoteShellUnavailable(f"--remsh {target!r}: expected a node name like NAME@HOST")
    raise RemoteShellUnavailable(
        f"--remsh {target}: not available yet: needs distribution "
        "(a shell on another node), which livelong does not have yet"
    )
