"""Type checkers on users' code: mypy and pyright accept the typed examples in
accepted.py, report exactly the lines marked ``# E`` in rejected.py, and accept
unannotated overrides that rename the callbacks' parameters.

The checkers read this worktree's ``src`` (MYPYPATH, pyright's extraPaths), so they
check the code under test, not an installed copy."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
SRC = HERE.parent.parent / "src"


def _marked_lines(path: Path, checker: str) -> set[int]:
    lines = path.read_text().splitlines()
    ends = ("# E", f"# E {checker}")
    return {i for i, line in enumerate(lines, 1) if line.rstrip().endswith(ends)}


def _mypy(tmp_path: Path, file: Path, *flags: str) -> tuple[int, str]:
    env = dict(os.environ, MYPYPATH=str(SRC))
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "", "--no-error-summary",
         "--cache-dir", str(tmp_path / "mypy-cache"), "--hide-error-context",
         "--python-version", "3.11", *flags, str(file)],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    return proc.returncode, proc.stdout + proc.stderr


def _pyright(tmp_path: Path, file: Path, mode: str) -> list[dict[str, object]]:
    config = tmp_path / f"pyrightconfig-{mode}.json"
    config.write_text(
        json.dumps({"typeCheckingMode": mode, "extraPaths": [str(SRC)], "pythonVersion": "3.11"})
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", "-p", str(config),
         "--pythonpath", sys.executable, str(file)],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"pyright gave no report:\n{proc.stdout}\n{proc.stderr}")
    return [d for d in report["generalDiagnostics"] if d["severity"] == "error"]


def _pyright_lines(diags: list[dict[str, object]]) -> set[int]:
    return {int(d["range"]["start"]["line"]) + 1 for d in diags}  # type: ignore[index]


needs_pyright = pytest.mark.skipif(shutil.which("node") is None, reason="pyright needs node")


def test_mypy_strict_accepts_typed_user_code(tmp_path: Path) -> None:
    rc, out = _mypy(tmp_path, HERE / "accepted.py", "--strict")
    assert rc == 0, out


def test_mypy_reports_exactly_the_mistakes(tmp_path: Path) -> None:
    rc, out = _mypy(tmp_path, HERE / "rejected.py", "--strict")
    assert rc == 1, out
    lines = {int(m.group(1)) for m in re.finditer(r"rejected\.py:(\d+): error", out)}
    assert lines == _marked_lines(HERE / "rejected.py", "mypy"), out


def test_mypy_accepts_unannotated_overrides(tmp_path: Path) -> None:
    rc, out = _mypy(tmp_path, HERE / "untyped_overrides.py", "--check-untyped-defs")
    assert rc == 0, out


@needs_pyright
@pytest.mark.parametrize("mode", ["standard", "strict"])
def test_pyright_accepts_typed_user_code(tmp_path: Path, mode: str) -> None:
    assert _pyright(tmp_path, HERE / "accepted.py", mode) == []


@needs_pyright
def test_pyright_reports_exactly_the_mistakes(tmp_path: Path) -> None:
    diags = _pyright(tmp_path, HERE / "rejected.py", "standard")
    assert _pyright_lines(diags) == _marked_lines(HERE / "rejected.py", "pyright"), diags


@needs_pyright
def test_pyright_default_mode_accepts_unannotated_overrides(tmp_path: Path) -> None:
    assert _pyright(tmp_path, HERE / "untyped_overrides.py", "standard") == []
