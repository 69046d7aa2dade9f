"""causal/event/difference.py: the household bootstrap of "doubly robust minus event study" rejects when the two
estimates differ, not when they estimate the same thing, and keeps their correlation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segtarget.causal.event.difference import dr_contributions, difference_test, household_sums


def _two_means(shift: float, n: int = 800, seed: int = 0, shared_sd: float = 1.0, own_sd: float = 0.2):
    """Two estimators of a mean on the same households: A = mean(x), B = mean(x + e) + shift. x is shared
    (large variance, so A and B are strongly correlated), e is B's own noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, shared_sd, n)
    z = x + rng.normal(0, own_sd, n)
    ids = np.arange(n)
    a = pd.Series((x - x.mean()) / n, index=ids)
    b = pd.Series((z - z.mean()) / n, index=ids)
    return x.mean(), a, z.mean() + shift, b, (z - x)


def test_rejects_when_the_designs_differ_and_not_when_they_agree():
    ea, a, eb, b, e = _two_means(shift=0.0)
    same = difference_test(ea, a, eb, b, draws=2000, seed=1)
    assert same.p_value > 0.05 and same.ci_lower <= 0 <= same.ci_upper
    # the SE is that of the difference mean(e), not of either estimate: the shared x cancels
    assert same.std_error == pytest.approx(np.std(e, ddof=1) / np.sqrt(len(e)), rel=0.08)
    ea, a, eb, b, _ = _two_means(shift=0.05)
    apart = difference_test(ea, a, eb, b, draws=2000, seed=1)
    assert apart.p_value < 0.001 and apart.differs and apart.estimate == pytest.approx(-0.05, abs=0.02)
    # their own 95% CIs overlap widely (each SE ~ 0.035): "overlap" would have called them in agreement
    assert 1.96 * np.sqrt((a ** 2).sum()) > 0.05 and 1.96 * np.sqrt((b ** 2).sum()) > 0.05
    assert apart.detectable == pytest.approx(2.8016 * apart.std_error, rel=1e-4)


def test_size_on_equal_designs():
    """Same expectation, 200 replications: the 5% test rejects near 5% of the time."""
    rejections = sum(difference_test(*_two_means(0.0, n=300, seed=s)[:4], draws=400, seed=s).p_value < 0.05
                     for s in range(200))
    assert 3 <= rejections <= 20


def test_households_are_the_resampled_units():
    """Two units of one household move together: summing by household first makes the SE larger when their
    contributions have the same sign, as a household cluster bootstrap should."""
    rng = np.random.default_rng(3)
    v = rng.normal(0, 1, 400)
    units = pd.Series(np.r_[v, v] / 800)  # every household twice, identical contributions
    by_unit = difference_test(0.0, units, 0.0, pd.Series(dtype=float), draws=2000, seed=0)
    by_household = difference_test(0.0, household_sums(units, np.r_[np.arange(400), np.arange(400)]), 0.0,
                                   pd.Series(dtype=float), draws=2000, seed=0)
    assert by_household.std_error == pytest.approx(np.sqrt(2) * by_unit.std_error, rel=0.1)
    assert by_household.households == 400 and by_unit.households == 800


def test_dr_contributions_match_the_clustered_se_and_rescale():
    rng = np.random.default_rng(5)
    infl = rng.normal(0, 50, 600)
    hh = np.repeat(np.arange(300), 2)
    c = dr_contributions(infl, hh)
    from segtarget.causal.ate.estimators import clustered_se

    G = 300
    assert np.sqrt((c ** 2).sum() * G / (G - 1)) == pytest.approx(clustered_se(infl, hh))
    assert np.sqrt((dr_contributions(infl, hh, headline_se=7.0) ** 2).sum()) == pytest.approx(7.0)
    same = difference_test(1.0, c, 1.0, c, draws=200)
    assert same.estimate == 0.0 and same.std_error == 0.0
