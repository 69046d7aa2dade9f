"""report/format.py: one way to write money, numbers, percentages and intervals (sign before the dollar)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from segtarget.report.format import MISSING, interval, money, number, percent


@pytest.mark.parametrize("value, kwargs, text", [
    (-1234.4, {}, "-$1,234"),                 # the sign before the dollar, never "$-1,234" or "−$1,234"
    (1234.5, {}, "$1,234"),                   # whole dollars from $100 up ...
    (12.5, {}, "$12.50"),                     # ... cents below
    (-0.5, {}, "-$0.50"),
    (1234.5, {"decimals": 2}, "$1,234.50"),
    (12.5, {"decimals": 0}, "$12"),
    (3.0, {"decimals": 2, "sign": True}, "+$3.00"),
    (-3.0, {"decimals": 0, "sign": True}, "-$3"),
    (-0.004, {"decimals": 2}, "$0.00"),       # rounds to zero: no sign at all
    (0.0, {"sign": True}, "$0.00"),
    (np.float64(-7.25), {}, "-$7.25"),
    (np.int64(250), {}, "$250"),
    (float("inf"), {}, "$inf"),
    (float("-inf"), {}, "-$inf"),
])
def test_money(value, kwargs, text):
    assert money(value, **kwargs) == text


@pytest.mark.parametrize("value", [None, float("nan"), np.nan, pd.NA, pd.NaT])
def test_missing_values_are_one_mark(value):
    assert money(value) == percent(value) == number(value) == interval(value) == MISSING


def test_text_passes_through():
    assert money("n/a") == "n/a" and percent("all") == "all" and interval("  see note ") == "see note"
    assert interval("") == MISSING


@pytest.mark.parametrize("value, args, kwargs, text", [
    (0.312, (), {}, "31.2%"),
    (0.3, (0,), {}, "30%"),
    (-0.0504, (1,), {}, "-5.0%"),
    (0.05, (0,), {"sign": True}, "+5%"),
    (-0.0001, (1,), {}, "0.0%"),
    (12.5, (0,), {}, "1,250%"),
])
def test_percent(value, args, kwargs, text):
    assert percent(value, *args, **kwargs) == text


def test_number_and_interval():
    assert number(-1234.5, 1) == "-1,234.5" and number(2.0, sign=True) == "+2.00" and number(-0.001) == "0.00"
    assert interval((-1234.0, 56.789)) == "[-$1,234, $56.79]"
    assert interval((0.1, 0.25), lambda v: percent(v, 0)) == "[10%, 25%]"
    assert interval(np.array([1.0, 2.0]), lambda v: number(v, 1)) == "[1.0, 2.0]"
    assert not math.isnan(float(money(5.0).lstrip("$")))
