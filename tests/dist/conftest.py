"""Fixtures shared by the distribution tests (see erl_helpers.py)."""

from erl_helpers import epmd  # noqa: F401
