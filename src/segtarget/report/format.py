"""One way to write money, percentages and intervals in every report sentence, table cell and message.

Before this module each stage had its own money helper, so one report could show "$-1,234", "-$1,234" and
"−$1,234" for the same kind of number. The rules here:

* money: the sign goes before the dollar sign and is an ASCII hyphen (-$1,234; +$12.50 when a sign is asked
  for), with thousands separators; ``decimals=None`` shows cents below $100 only (totals read as whole
  dollars, per-household amounts keep their cents); 2 always shows them, 0 never. A value that rounds to
  zero has no sign (never "-$0.00").
* percent: a fraction as a percentage (0.312 -> 31.2%); number: a plain number; both with the same sign rule.
* interval: ``[lower, upper]`` with both ends through the same formatter.
* A missing value (None, NaN, NaT) is ``MISSING``; a string passes through unchanged.

It sits with ``report.section`` below every stage (tests/test_layout.py), so any stage can use it.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np
import pandas as pd

MISSING = "–"


def is_missing(v: Any) -> bool:
    """None, NaN or NaT (a scalar; an array or tuple is never "missing" as a whole)."""
    if v is None or v is pd.NaT:
        return True
    try:
        return bool(pd.isna(v)) if np.ndim(v) == 0 else False
    except (TypeError, ValueError):
        return False


def _signed(v: float, body: str, sign: bool) -> str:
    """``body`` (the formatted magnitude) with its sign; a value shown as zero gets none."""
    zero = not math.isinf(v) and not any(ch in "123456789" for ch in body)
    if v < 0 and not zero:
        return "-" + body
    return ("+" + body) if sign and not zero else body


def _number(v: Any) -> float | None:
    """``v`` as a float, or None when it is missing or not a number (bool is not a number here)."""
    if isinstance(v, bool) or is_missing(v):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def money(v: Any, decimals: int | None = None, *, sign: bool = False) -> str:
    """Dollars: ``-$1,234``, ``$12.50``; ``sign=True`` writes ``+`` for positive amounts."""
    x = _number(v)
    if x is None:
        return MISSING if is_missing(v) else str(v)
    if math.isinf(x):
        return _signed(x, "$inf", sign)
    if decimals is None:
        decimals = 2 if abs(x) < 100 else 0
    return _signed(x, f"${abs(x):,.{decimals}f}", sign)


def number(v: Any, decimals: int = 2, *, sign: bool = False) -> str:
    """A plain number with thousands separators and the same sign rule: ``number(-1234.5, 1) == "-1,234.5"``."""
    x = _number(v)
    if x is None:
        return MISSING if is_missing(v) else str(v)
    return _signed(x, f"{abs(x):,.{decimals}f}", sign)


def percent(v: Any, decimals: int = 1, *, sign: bool = False) -> str:
    """A fraction as a percentage: ``percent(0.312) == "31.2%"``, ``percent(0.3, 0) == "30%"``."""
    x = _number(v)
    if x is None:
        return MISSING if is_missing(v) else str(v)
    return _signed(x, f"{abs(100 * x):,.{decimals}f}%", sign)


def interval(ci: Any, fmt: Callable[[Any], str] = money) -> str:
    """A (lower, upper) pair as ``[lower, upper]`` through ``fmt``; a string passes through unchanged."""
    if is_missing(ci):
        return MISSING
    if isinstance(ci, str):
        return ci.strip() or MISSING
    lo, hi = ci
    return f"[{fmt(lo)}, {fmt(hi)}]"


__all__ = ["MISSING", "is_missing", "money", "number", "percent", "interval"]
