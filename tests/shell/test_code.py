"""Inputs: completeness, compiling with top-level await, values and tracebacks."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys

import pytest

import livelong
from livelong.shell._code import (
    compile_input,
    format_exception,
    format_syntax_error,
    format_value,
    needs_more,
    run,
)


@pytest.mark.parametrize(
    "text, more",
    [
        ("1 + 1", False),
        ("", False),
        ("   ", False),
        ("# just a comment", False),
        ("(1 +", True),
        ("[1,\n 2", True),
        ("[1,\n 2]", False),
        ("1 +", False),  # a syntax error is complete: running it says so
        ("async def f():", True),
        ("async def f():\n    return 1", True),
        ("async def f():\n    return 1\n", False),
        ("async def f():\n    return 1\n    ", False),  # a line of indentation only
        ("while True: pass", True),
        ("while True: pass\n", False),
        ("if x:\n    pass\nelse:", True),
        ("await receive()", False),
        ("x = await receive()", False),
        ('"""open', True),
    ],
)
def test_needs_more(text: str, more: bool) -> None:
    assert needs_more(text) is more


_inputs = itertools.count(1)


def evaluate(source: str, namespace: dict | None = None) -> object:
    namespace = {} if namespace is None else namespace
    compiled = compile_input(source, f"<test:{next(_inputs)}>")
    return asyncio.run(run(compiled, namespace))


def test_the_last_expression_is_the_value() -> None:
    assert evaluate("1 + 1") == 2
    assert evaluate("x = 1\nx + 41") == 42
    assert evaluate("x = 1") is None
    assert evaluate("") is None


def test_top_level_await() -> None:
    source = "import asyncio\nawait asyncio.sleep(0)\nawait asyncio.sleep(0, 'done')"
    assert evaluate(source) == "done"
    compiled = compile_input("x = await f()", "<t>")
    assert compiled.body is not None and compiled.last is None


def test_statements_bind_in_the_namespace() -> None:
    ns: dict = {}
    evaluate("def f(n):\n    return n * 2\n", ns)
    assert evaluate("f(21)", ns) == 42


def test_a_syntax_error_says_where() -> None:
    with pytest.raises(SyntaxError) as info:
        compile_input("1 +", "<shell:7>")
    text = format_syntax_error(info.value)
    assert text.splitlines()[0] == '  File "<shell:7>", line 1'
    assert text.endswith("SyntaxError: invalid syntax")
    assert "Traceback" not in text


def test_tracebacks_show_typed_lines_and_leave_out_the_shell() -> None:
    ns: dict = {}
    evaluate("def f():\n    return 1 / 0\n", ns)
    with pytest.raises(ZeroDivisionError) as info:
        evaluate("f()", ns)
    text = format_exception(info.value)
    assert "livelong/shell" not in text
    assert "    return 1 / 0" in text
    assert text.endswith("ZeroDivisionError: division by zero")


def test_livelong_exceptions_go_by_their_public_names() -> None:
    text = format_exception(livelong.NotInProcessError("self() must be called in a process"))
    assert text == "livelong.NotInProcessError: self() must be called in a process"


def test_values_show_as_repr() -> None:
    assert format_value("hello") == "'hello'"
    assert format_value(("all_values", ["hello", 23])) == "('all_values', ['hello', 23])"
    long = {f"key{n}": n for n in range(20)}
    shown = format_value(long, width=40)
    assert shown.splitlines()[0] == "{'key0': 0,"  # one item a line, in their own order
    assert eval(shown) == long


@pytest.mark.parametrize(
    "source",
    ["prnt(1)", "lenn([])", "Print", "[].apend(1)", "'x'.uper()", "zzzzzz", "import os; os.pth"],
)
def test_misspelt_names_get_the_suggestion_plain_python_gives(source: str) -> None:
    plain = (
        subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=30)
        .stderr.rstrip("\n")
        .rsplit("\n", 1)[-1]
    )
    namespace: dict[str, object] = {"__builtins__": __builtins__}
    compiled = compile_input(source, "<shell:1>")
    try:
        asyncio.run(run(compiled, namespace))
    except Exception as e:
        shown = format_exception(e).rsplit("\n", 1)[-1]
    else:
        raise AssertionError(f"{source!r} raised nothing")
    assert shown == plain
