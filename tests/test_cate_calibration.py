"""DR loss, R-loss, BLP and GATES against hand computations and statsmodels."""

import numpy as np
import pytest

from segtarget.causal.cate.calibration import (blp_test, dr_loss, dr_loss_difference, gates, gates_top_minus_bottom,
                                          r_loss, r_score)


def test_dr_loss_by_hand():
    g = np.array([1.0, 3.0, -1.0, 5.0])
    c = np.array([0.0, 2.0, 1.0, 5.0])
    loss, se = dr_loss(g, c)
    sq = np.array([1.0, 1.0, 4.0, 0.0])
    assert loss == pytest.approx(1.5)
    assert se == pytest.approx(sq.std(ddof=1) / 2)
    d, _ = dr_loss_difference(g, c, np.zeros(4))
    assert d == pytest.approx(1.5 - np.mean(g**2))


def test_r_loss_by_hand():
    Y, T = np.array([2.0, 0.0]), np.array([1, 0])
    e, mu0, mu1 = np.array([0.5, 0.5]), np.array([0.0, 0.0]), np.array([2.0, 2.0])
    # m = 1; residuals: (2-1) - 0.5 tau, (0-1) + 0.5 tau
    assert r_loss(Y, T, e, mu0, mu1, np.array([2.0, 2.0])) == pytest.approx(0.0)
    assert r_loss(Y, T, e, mu0, mu1, np.array([0.0, 0.0])) == pytest.approx(1.0)
    assert r_score(Y, T, e, mu0, mu1, np.array([2.0, 2.0]), ate=0.0) == pytest.approx(1.0)


def test_blp_matches_statsmodels_hc1_and_is_calibrated():
    import statsmodels.api as sm

    rng = np.random.default_rng(0)
    tau = rng.normal(2, 1, 2000)
    g = tau + rng.normal(0, 3, 2000)
    res = blp_test(g, tau)
    ols = sm.OLS(g, sm.add_constant(tau - tau.mean())).fit(cov_type="HC1")
    assert res.ate == pytest.approx(ols.params[0])
    assert res.slope == pytest.approx(ols.params[1])
    assert res.slope_se == pytest.approx(ols.bse[1])
    assert res.slope_lower < 1 < res.slope_upper and res.p_value < 1e-6
    noise = blp_test(g, rng.normal(size=2000))
    assert noise.slope_lower < 0 < noise.slope_upper


def test_blp_constant_cate_has_no_slope():
    res = blp_test(np.arange(10.0), np.ones(10))
    assert np.isnan(res.slope) and res.p_value == 1.0


def test_gates_by_hand():
    g = np.array([1.0, 2.0, 3.0, 4.0, 10.0, 20.0])
    c = np.array([0.1, 0.3, 0.2, 0.6, 0.5, 0.9])
    t = gates(g, c, n_groups=3)
    # groups by CATE rank: {0.1, 0.2} -> g 1, 3; {0.3, 0.5} -> 2, 10; {0.6, 0.9} -> 4, 20
    assert t["gate"].tolist() == pytest.approx([2.0, 6.0, 12.0])
    assert t["n"].tolist() == [2, 2, 2]
    # se = sd / sqrt(n) with n = 2: sd(1, 3) = sqrt(2), sd(2, 10) = 4 sqrt(2), sd(4, 20) = 8 sqrt(2)
    assert t["se"].tolist() == pytest.approx([1.0, 4.0, 8.0])
    diff, se = gates_top_minus_bottom(t)
    assert diff == pytest.approx(10.0)
    assert se == pytest.approx(np.sqrt(1.0 ** 2 + 8.0 ** 2))  # independent groups: by hand, not from the table
