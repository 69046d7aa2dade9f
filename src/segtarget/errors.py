"""User-facing errors.

Anything the user can fix (a missing file, a wrong column, a bad parameter) raises :class:`SegtargetError`
with one line that names the file, column or parameter and says how to fix it. The CLI prints that line
and exits with code 2, without a traceback.
"""

from __future__ import annotations

import dataclasses
import functools
import numbers
import types
import typing
from typing import Any


class SegtargetError(Exception):
    """An input or configuration problem the user can fix; the message is shown as one line."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


def require(condition: bool, message: str) -> None:
    """Raise :class:`SegtargetError` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise SegtargetError(message)


def _shown(value) -> str:
    """A value the way it is written after ``--set key=`` (TOML literals), for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if dataclasses.is_dataclass(value):
        return f"{type(value).__name__}(...)"
    return repr(value)


@functools.cache
def _field_types(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _interval(text: str) -> tuple[bool, float, float, bool]:
    """``"(0, 0.5]"`` -> (low open, low, high, high open); ``inf`` is allowed on either side."""
    lo, hi = (float(p) for p in text[1:-1].split(","))
    return text[0] == "(", lo, hi, text[-1] == ")"


def _rule(interval: str) -> str:
    lo_open, lo, hi, _ = _interval(interval)
    if hi == float("inf"):
        return f"{'>' if lo_open else '>='} {lo:g}"
    return f"in {interval}"


def _inside(value, interval: str) -> bool:
    lo_open, lo, hi, hi_open = _interval(interval)
    # written so that NaN fails every comparison
    return (value > lo if lo_open else value >= lo) and (value < hi if hi_open else value <= hi)


class ConfigCheck:
    """Checks of one config section, each failing with one line that names ``section.key`` as the user writes it.

    Construction checks every field's type against its annotation (so a config built in Python is held to the
    same rules as one read from TOML) and turns lists into tuples; the methods check ranges and choices. The
    suggested value in a message is the field's default unless the caller gives a better one.
    """

    def __init__(self, section: str, cfg: Any):
        self.section, self.cfg = section, cfg
        for f in dataclasses.fields(cfg):
            self._check_type(f.name, getattr(cfg, f.name), _field_types(type(cfg))[f.name])

    def key(self, name: str) -> str:
        return f"{self.section}.{name}" if self.section else name

    def fail(self, name: str, rule: str, example: Any = None) -> None:
        if example is None:
            f = next(f for f in dataclasses.fields(self.cfg) if f.name == name)
            example = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        raise SegtargetError(f"{self.key(name)} must be {rule}, got {_shown(getattr(self.cfg, name))}; "
                             f"set e.g. {self.key(name)}={_shown(example)}")

    def within(self, name: str, interval: str, example: Any = None) -> None:
        """``interval`` is written like ``"(0, 0.5)"`` or ``"[1, inf)"``."""
        if not _inside(getattr(self.cfg, name), interval):
            self.fail(name, _rule(interval), example)

    def each_within(self, name: str, interval: str, example: Any = None, *, nonempty: bool = True) -> None:
        values = getattr(self.cfg, name)
        if nonempty and not values:
            self.fail(name, f"a non-empty list of values {_rule(interval)}", example)
        if not all(_inside(v, interval) for v in values):
            self.fail(name, f"a list of values {_rule(interval)}", example)

    def one_of(self, name: str, choices: tuple[str, ...], example: Any = None) -> None:
        if getattr(self.cfg, name) not in choices:
            self.fail(name, "one of " + ", ".join(map(repr, choices)), example)

    def holds(self, condition: bool, name: str, rule: str, example: Any = None) -> None:
        """A rule between fields (``rule`` says it in words)."""
        if not condition:
            self.fail(name, rule, example)

    def _check_type(self, name: str, value: Any, annotation: Any) -> None:
        expected = _type_problem(value, annotation)
        if expected:
            self.fail(name, expected)
        if isinstance(value, list):  # frozen: lists from Python callers become tuples, so configs compare alike
            object.__setattr__(self.cfg, name, tuple(value))


_SCALARS = {bool: ("true or false", lambda v: isinstance(v, bool)),
            int: ("an integer", lambda v: isinstance(v, numbers.Integral) and not isinstance(v, bool)),
            float: ("a number", lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool)),
            str: ("a string", lambda v: isinstance(v, str))}


def _type_problem(value: Any, annotation: Any) -> str:
    """What ``value`` should have been for ``annotation`` ("" when it fits)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return ""
        return _type_problem(value, next(a for a in args if a is not type(None)))
    if origin is tuple:
        item = args[0]
        what = f"a list of {_SCALARS[item][0].removeprefix('an ').removeprefix('a ')}s" if item in _SCALARS else "a list"
        if args[-1] is not Ellipsis:
            what = f"a list of {len(args)} numbers" if item is float else f"a list of {len(args)} values"
            if not isinstance(value, (tuple, list)) or len(value) != len(args):
                return what
        if not isinstance(value, (tuple, list)) or any(_type_problem(v, item) for v in value):
            return what
        return ""
    if annotation in _SCALARS:
        what, ok = _SCALARS[annotation]
        return "" if ok(value) else what
    return "" if isinstance(value, annotation) else f"an instance of {annotation.__name__}"
