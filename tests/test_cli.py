"""The command line, run as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version


def test_version_names_the_package_version_and_the_kernel() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "livelong", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert out.startswith(f"livelong {version('livelong')} ")
    assert "kernel" in out
