"""Manski bounds and E-values against hand computations."""

import numpy as np
import pytest

from segtarget.causal.ate.bounds import e_value, manski_bounds


def test_manski_bounds_use_both_arms_and_the_range():
    Y = np.array([2.0, 4.0, 6.0, 0.0, 10.0, 5.0])
    T = np.array([1, 1, 1, 0, 0, 0])
    b = manski_bounds(Y, T)
    p = 0.5
    lo = (p * 4 + (1 - p) * 0) - (p * 5 + (1 - p) * 10)
    hi = (p * 4 + (1 - p) * 10) - (p * 5 + (1 - p) * 0)
    assert (b.lower, b.upper) == (pytest.approx(lo), pytest.approx(hi))
    assert b.upper - b.lower == pytest.approx(10.0)  # always the outcome's range
    assert b.ci_lower < b.lower < 0 < b.upper < b.ci_upper


def test_manski_bounds_with_user_range():
    Y = np.array([1.0, 1.0, 0.0, 0.0])
    T = np.array([1, 1, 0, 0])
    b = manski_bounds(Y, T, y_range=(0.0, 1.0))
    assert (b.lower, b.upper) == (pytest.approx(-0.0), pytest.approx(1.0))


def test_e_value_continuous_outcome():
    rr = np.exp(0.91 * 0.5)
    point, ci = e_value(0.5, 0.2, 0.8, sd_y=1.0)
    assert point == pytest.approx(rr + np.sqrt(rr * (rr - 1)))
    rr_ci = np.exp(0.91 * 0.2)
    assert ci == pytest.approx(rr_ci + np.sqrt(rr_ci * (rr_ci - 1)))
    neg_point, neg_ci = e_value(-0.5, -0.8, -0.2, sd_y=1.0)
    assert (neg_point, neg_ci) == (pytest.approx(point), pytest.approx(ci))
    assert e_value(0.5, -0.1, 1.1, sd_y=1.0)[1] == 1.0
