"""Child specifications: what a supervisor needs to know to start, restart and stop a
child, validated in one place so that a malformed spec fails at start with an error
that names the child.

A child spec is a :class:`ChildSpec`, or a dict with the same keys, or a shorthand that
knows how to make one: a class with a ``child_spec`` classmethod (``Counter``), or a
``(Class, arg)`` pair (``(Counter, 0)`` is ``Counter.child_spec(0)``).

``start`` is how to start the child, called inside the supervisor process: a callable
taking no arguments, or ``(fn, args)`` with ``args`` a tuple or list (Erlang's
``{M, F, A}``).  It may be sync or async and must return the child's pid, linked to
the caller (``spawn_link``, ``GenServer.start_link``...), or ``None`` to say "nothing to
start" (Elixir's ``:ignore``); it raises to report a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._core import Pid
from ._seconds import shutdown_arg

__all__ = ["ChildSpec", "normalize_child", "normalize_children", "call_start"]

RESTARTS = ("permanent", "transient", "temporary")
TYPES = ("worker", "supervisor")
_KEYS = ("id", "start", "restart", "shutdown", "type", "modules")


@dataclass(frozen=True)
class ChildSpec:
    """How a supervisor starts, restarts and stops one child.

    * ``id`` -- any hashable term naming the child inside its supervisor;
    * ``start`` -- a no-argument callable or ``(fn, args)``; returns the child's pid
      linked to the caller, or ``None`` for "ignore";
    * ``restart`` -- ``"permanent"`` (always restarted), ``"transient"`` (restarted
      only after an abnormal exit), ``"temporary"`` (never restarted);
    * ``shutdown`` -- seconds the child gets to stop after the ``"shutdown"`` exit
      signal before it is killed, or ``"brutal_kill"``, or ``"infinity"`` (also
      ``math.inf`` or an int too big for a float); default 5.0 for a worker and
      ``"infinity"`` for a supervisor;
    * ``type`` -- ``"worker"`` or ``"supervisor"``;
    * ``modules`` -- informational, shown by ``which_children``.

    >>> ChildSpec("cache", (print, ("started",))).restart
    'permanent'
    """

    id: Any
    start: Any
    restart: str = "permanent"
    shutdown: Any = None  # after validation: seconds (float), "brutal_kill" or "infinity"
    type: str = "worker"
    modules: Any = field(default=None, compare=False)

    def __post_init__(self) -> None:
        checked = _validate(self, f"child spec {self.id!r}")
        object.__setattr__(self, "shutdown", checked)

    def replace(self, **changes: Any) -> ChildSpec:
        """A copy with some fields changed (``spec.replace(restart="temporary")``)."""
        values = {k: getattr(self, k) for k in _KEYS}
        for k in changes:
            if k not in values:
                raise TypeError(f"child spec {self.id!r}: unknown field {k!r}; fields: {_KEYS}")
        values.update(changes)
        return ChildSpec(**values)


def child_name(child_id: Any) -> str:
    """A child's id as logs and errors show it: a class (the default id of a
    GenServer's child spec) by its name, anything else by its repr.

    >>> class Listener: ...
    >>> child_name(Listener), child_name("db")
    ('Listener', "'db'")
    """
    if isinstance(child_id, type):
        return child_id.__qualname__
    return repr(child_id)


def _validate(spec: ChildSpec, what: str) -> float | str:
    try:
        hash(spec.id)
    except TypeError:
        raise ValueError(f"{what}: id must be hashable, got {type(spec.id).__name__}") from None
    start = spec.start
    if isinstance(start, tuple | list):
        if len(start) != 2 or not callable(start[0]) or not isinstance(start[1], tuple | list):
            raise ValueError(
                f"{what}: start must be a callable or (fn, args) with args a tuple or list, "
                f"got {start!r}"
            )
    elif not callable(start):
        raise ValueError(f"{what}: start must be a callable or (fn, args), got {start!r}")
    if spec.restart not in RESTARTS:
        raise ValueError(f"{what}: restart must be one of {RESTARTS}, got {spec.restart!r}")
    if spec.type not in TYPES:
        raise ValueError(f"{what}: type must be one of {TYPES}, got {spec.type!r}")
    if spec.shutdown is None:
        return "infinity" if spec.type == "supervisor" else 5.0
    return shutdown_arg(spec.shutdown, f"{what}: shutdown")


def normalize_child(spec: Any, position: int | None = None) -> ChildSpec:
    """Turn any accepted form of child spec into a :class:`ChildSpec`, or raise a
    ``ValueError``/``TypeError`` that names the child (or its position)."""
    where = f"child spec #{position + 1}" if position is not None else "child spec"
    if isinstance(spec, ChildSpec):
        return spec
    if isinstance(spec, Mapping):
        what = f"child spec {spec['id']!r}" if "id" in spec else where
        unknown = [k for k in spec if k not in _KEYS]
        if unknown:
            raise ValueError(f"{what}: unknown keys {unknown}; a child spec has {list(_KEYS)}")
        for key in ("id", "start"):
            if key not in spec:
                raise ValueError(f"{what}: missing {key!r} in {dict(spec)!r}")
        return ChildSpec(**spec)
    if isinstance(spec, type) and callable(getattr(spec, "child_spec", None)):
        return _from_child_spec(spec, (), where)
    if (
        isinstance(spec, tuple)
        and len(spec) == 2
        and isinstance(spec[0], type)
        and callable(getattr(spec[0], "child_spec", None))
    ):
        return _from_child_spec(spec[0], (spec[1],), where)
    raise TypeError(
        f"{where}: expected a ChildSpec, a dict, a class with child_spec() or "
        f"(Class, arg), got {spec!r}"
    )


def _from_child_spec(cls: type, args: tuple[Any, ...], where: str) -> ChildSpec:
    result = cls.child_spec(*args)  # type: ignore[attr-defined]
    if isinstance(result, ChildSpec):
        return result
    if isinstance(result, Mapping):
        return normalize_child(result)
    raise TypeError(f"{where}: {cls.__qualname__}.child_spec returned {result!r}, not a ChildSpec")


def normalize_children(specs: Any) -> list[ChildSpec]:
    """Validate a list of child specs: each well formed, ids unique."""
    if isinstance(specs, Mapping | str | bytes) or not hasattr(specs, "__iter__"):
        raise TypeError(f"children must be a list of child specs, got {specs!r}")
    out: list[ChildSpec] = []
    seen: set[Any] = set()
    for i, spec in enumerate(specs):
        cs = normalize_child(spec, i)
        if cs.id in seen:
            raise ValueError(f"child spec #{i + 1}: duplicate child id {cs.id!r}")
        seen.add(cs.id)
        out.append(cs)
    return out


async def call_start(spec: ChildSpec, extra: tuple[Any, ...] = ()) -> Pid | None:
    """Run a child's start function in the calling (supervisor) process."""
    start = spec.start
    if isinstance(start, tuple | list):
        fn: Callable[..., Any] = start[0]
        args = (*extra, *start[1])
    else:
        fn, args = start, extra
    result = fn(*args)
    if hasattr(result, "__await__"):
        result = await result
    if result is None or isinstance(result, Pid):
        return result
    if isinstance(result, tuple) and len(result) == 2 and result[0] == "ok":
        if isinstance(result[1], Pid):
            return result[1]  # the Elixir-minded ("ok", pid)
    raise TypeError(
        f"child {child_name(spec.id)}: start function {getattr(fn, '__qualname__', fn)!r} returned "
        f"{result!r}; expected the child's pid (or None to ignore)"
    )
