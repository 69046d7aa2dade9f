"""The weekly adjusted gap: a linear adjustment per week, one solve for all weeks."""

import numpy as np
import pytest

from segtarget.causal.design.weekly_gap import adjusted_gaps


def test_the_gap_of_each_week_is_the_treatment_coefficient_with_a_robust_se():
    rng = np.random.default_rng(0)
    n = 3000
    x = rng.normal(size=n)
    T = (rng.random(n) < 1 / (1 + np.exp(-x))).astype(int)
    gaps = np.array([0.0, 0.0, 5.0])  # no gap before, a step of 5 in the last week
    Y = 10 + 3 * x[:, None] + T[:, None] * gaps + rng.normal(scale=2, size=(n, 3))
    gap, se = adjusted_gaps(Y, T, np.column_stack([x, np.ones(n)]))  # a constant column is dropped
    assert np.all(np.abs(gap - gaps) < 3 * se)
    assert gap[2] - 3 * se[2] > 0 and np.all(se > 0) and np.all(se < 0.3)
    # the same as one OLS per week
    A = np.column_stack([np.ones(n), T, x])
    assert gap[1] == pytest.approx(np.linalg.lstsq(A, Y[:, 1], rcond=None)[0][1])


def test_a_covariate_that_is_the_week_itself_leaves_no_gap():
    rng = np.random.default_rng(1)
    n = 500
    T = rng.integers(0, 2, n)
    Y = rng.normal(size=(n, 2)) + T[:, None]
    gap, _ = adjusted_gaps(Y, T, Y[:, :1])  # week 0 is a covariate: adjusted by construction
    assert abs(gap[0]) < 1e-9 and gap[1] > 0.5
