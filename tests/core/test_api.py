"""The public surface: one module, each name exported once, the demo runs."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys

import pytest

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


def test_each_public_name_is_exported_by_one_public_module_only():
    import livelong.lowlevel
    import livelong.telemetry
    import livelong.testing

    modules = {"livelong": livelong, "livelong.lowlevel": livelong.lowlevel}
    modules["livelong.testing"] = livelong.testing
    modules["livelong.telemetry"] = livelong.telemetry
    seen: dict[str, str] = {}
    for modname, mod in modules.items():
        names = mod.__all__
        assert len(names) == len(set(names)), modname
        for name in names:
            assert hasattr(mod, name), f"{modname}.{name}"
            assert name not in seen, f"{name} is exported by {seen[name]} and {modname}"
            seen[name] = modname


def test_implementation_modules_are_private():
    import pkgutil

    for mod in pkgutil.iter_modules(livelong.__path__):
        public = {"otp", "shell", "dashboard", "dist", "testing", "lowlevel", "telemetry"}
        assert mod.name.startswith("_") or mod.name in public


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
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    code = re.findall(r"```python\n(.*?)```", readme, re.S)[0]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "('all_values', ['hello', 23])"


def test_the_readme_virtual_clock_example_runs():
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    [code] = [c for c in re.findall(r"```python\n(.*?)```", readme, re.S) if "VirtualClock" in c]
    subprocess.run([sys.executable, "-c", code], timeout=60, check=True)  # its assert holds


BAD_CALLS = [
    (lambda me: livelong.send_after(me, "m", "soon"), TypeError, "send_after: seconds"),
    (lambda me: livelong.send_after(me, "m", -1), ValueError, "send_after: seconds"),
    (lambda me: livelong.Process.flag("trap_exit", "yes"), TypeError, "trap_exit"),
    (lambda me: livelong.cancel_timer("ref"), TypeError, "cancel_timer"),
    (lambda me: livelong.read_timer(7), TypeError, "read_timer"),
    (lambda me: livelong.whereis(5), TypeError, "whereis"),
    (lambda me: livelong.receive(timeout="1"), TypeError, "receive: timeout"),
    (lambda me: livelong.receive(timeout=float("nan")), ValueError, "receive: timeout"),
    (lambda me: livelong.receive(timeout=-0.5), ValueError, "receive: timeout"),
    (lambda me: livelong.Process.sleep(-1), ValueError, "Process.sleep"),
    (lambda me: livelong.Process.sleep(None), TypeError, "Process.sleep"),
]


@pytest.mark.parametrize(("call", "error", "names"), BAD_CALLS)
def test_bad_arguments_get_a_clear_error_naming_them(call, error, names):
    async def main():
        me = livelong.self()
        with pytest.raises(error, match=re.escape(names)):
            result = call(me)
            if inspect.isawaitable(result):
                await result
        # the process is fine afterwards
        livelong.send(me, "still here")
        return await livelong.receive(timeout=1)

    assert livelong.run(main) == "still here"
