"""Reading transcripts and scripts, and comparing a transcript with a run."""

from __future__ import annotations

from shell_harness import compare

from livelong.shell._transcript import Entry, echo, parse, read_inputs, split_script

TRANSCRIPT = """\
Some banner
livelong> pid = spawn(lambda: 1 + 1)
livelong> class LiveLong:
     ...>     def run():
     ...>         return tail(LiveLong.run)
     ...>
livelong> Process.alive(pid)
False
livelong> await receive()  # Ctrl-C
KeyboardInterrupt
livelong>
"""


def test_parse_a_transcript() -> None:
    entries = parse(TRANSCRIPT)
    assert [e.source for e in entries] == [
        "pid = spawn(lambda: 1 + 1)",
        "class LiveLong:\n    def run():\n        return tail(LiveLong.run)\n",
        "Process.alive(pid)",
        "await receive()  # Ctrl-C",
        "",
    ]
    assert entries[2].output == ("False",)
    assert [e.interrupt for e in entries] == [False, False, False, True, False]


def test_echo_is_what_the_prompt_shows() -> None:
    source = "class LiveLong:\n    def run():\n        return tail(LiveLong.run)\n"
    assert echo(source) == (
        "livelong> class LiveLong:\n"
        "     ...>     def run():\n"
        "     ...>         return tail(LiveLong.run)\n"
        "     ...>"
    )
    assert echo("") == "livelong>"


def test_a_plain_script_is_cut_like_typed_input() -> None:
    script = "x = 1\n\nasync def f():\n    return x\n\nawait f()\n(1 +\n 2)\n"
    assert [e.source for e in split_script(script)] == [
        "x = 1",
        "async def f():\n    return x\n",
        "await f()",
        "(1 +\n 2)",
    ]
    assert read_inputs(script) == split_script(script)
    assert read_inputs(TRANSCRIPT) == parse(TRANSCRIPT)


def test_an_unfinished_block_at_the_end_is_closed() -> None:
    assert split_script("def f():\n    return 1") == [Entry("def f():\n    return 1\n")]


def test_compare_maps_pids_one_to_one() -> None:
    expected = ["livelong> self()", "#PID<0.84.0>", "livelong> self()", "#PID<0.84.0>"]
    assert compare(expected, ["livelong> self()", "#PID<0.80.0>"] * 2) is None
    changed = ["livelong> self()", "#PID<0.80.0>", "livelong> self()", "#PID<0.81.0>"]
    assert compare(expected, changed) is not None
    two = ["#PID<0.1.0>", "#PID<0.2.0>"]
    assert compare(two, ["#PID<0.5.0>", "#PID<0.5.0>"]) is not None
    assert compare(two, ["#PID<0.5.0>", "#PID<0.6.0>"]) is None
    down = ["('DOWN', #Reference<0.0.0.12>, 'process', #PID<0.94.0>, 'noproc')"]
    assert (
        compare(down, ["('DOWN', #Reference<0.0.0.1>, 'process', #PID<0.85.0>, 'noproc')"]) is None
    )


def test_compare_ellipsis() -> None:
    assert compare(["a ... c"], ["a bbb c"]) is None
    assert compare(["a", "...", "z"], ["a", "b", "c", "z"]) is None
    assert compare(["a", "...", "z"], ["a", "z"]) is None
    assert compare(["a", "..."], ["a", "b"]) is None
    assert compare(["a"], ["a", "b"]) is not None
    assert compare(["a", "b"], ["a"]) is not None
    # in an input line, "..." is only text: the continuation prompt
    assert compare(["     ...>     pass"], ["     ...>     pass"]) is None
    assert compare(["livelong> f(...)"], ["livelong> f(1)"]) is not None


def test_compare_leaves_out_traceback_carets_which_differ_by_python_version() -> None:
    shown_313 = ["    pid('x')", "    ~~~^^^^^", "ValueError: bad"]
    assert compare(["    pid('x')", "ValueError: bad"], shown_313) is None
    assert compare(["    pid('x')", "    ^^^^^^^^", "ValueError: bad"], shown_313) is None
    assert compare(["    pid('x')", "ValueError: other"], shown_313) is not None
