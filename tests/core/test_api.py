"""The public surface: one module, each name exported once, the demo runs."""

from __future__ import annotations

import subprocess
import sys

import livelong

ISSUE_NAMES = {
    "run", "spawn", "spawn_link", "spawn_monitor", "send", "receive", "self", "tail",
    "link", "unlink", "monitor", "demonitor", "exit", "register", "unregister", "whereis",
    "send_after", "cancel_timer", "Process", "Pid", "Ref", "ANY",
}  # fmt: skip


def test_public_names_are_exported_once_and_exist():
    assert ISSUE_NAMES <= set(livelong.__all__)
    assert len(livelong.__all__) == len(set(livelong.__all__))
    for name in livelong.__all__:
        assert hasattr(livelong, name), name
    for attr in ("alive", "info", "list", "flag", "sleep", "get", "put", "exit"):
        assert callable(getattr(livelong.Process, attr)), attr


def test_implementation_modules_are_private():
    import pkgutil

    for mod in pkgutil.iter_modules(livelong.__path__):
        public = {"otp", "shell", "dashboard", "dist", "testing"}
        assert mod.name.startswith("_") or mod.name in public


def test_docstring_example_runs():
    import doctest

    result = doctest.testmod(livelong, verbose=False)
    assert result.attempted > 0 and result.failed == 0


def test_the_demo_tells_the_articles_story():
    out = subprocess.run(
        [sys.executable, "-m", "livelong", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    text = out.stdout
    assert "('all_values', ['hello', 23])" in text
    assert "Process.alive(pid)\nFalse" in text
    assert "Process.alive(pid)\nTrue" in text
    assert "LiveLong.run/0, status: running" in text
    assert "('EXIT', #PID<0." in text and "RuntimeError('a crash, caught by a link')" in text
    # the crash report went to the log (stderr), with the traceback of the crash
    assert "raised an exception" in out.stderr and "in fragile" in out.stderr


def test_the_readme_quickstart_runs():
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    code = re.findall(r"```python\n(.*?)```", readme, re.S)[0]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "('all_values', ['hello', 23])"


def test_the_readme_virtual_clock_example_runs():
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    [code] = [c for c in re.findall(r"```python\n(.*?)```", readme, re.S) if "VirtualClock" in c]
    subprocess.run([sys.executable, "-c", code], timeout=60, check=True)  # its assert holds
