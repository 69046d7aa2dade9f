"""Semi-synthetic generator: calibrated propensity AUC, negative effects for heavy buyers, known truth."""

import numpy as np
import pandas as pd
import pytest

from segtarget.causal.validation.semisynth import expected_auc, make_semisynthetic
from segtarget.errors import SegtargetError


def _households(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    size = rng.lognormal(0, 1, n)
    return pd.DataFrame({
        "monetary_sales": size * 1000 * rng.lognormal(0, 0.3, n), "frequency": np.round(size * 40 + 1),
        "discount_rate": rng.beta(2, 10, n), "private_label_ratio": rng.beta(3, 7, n),
        "share_fresh": rng.beta(2, 6, n), "recency": rng.exponential(10, n),
    })


def test_expected_auc_matches_monte_carlo():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    e = 1 / (1 + np.exp(-rng.normal(0, 2, 4000)))
    T = rng.binomial(1, e, size=(30, 4000))
    mc = np.mean([roc_auc_score(t, e) for t in T])
    assert expected_auc(e) == pytest.approx(mc, abs=0.005)


@pytest.mark.parametrize("auc", [0.7, 0.95, 0.99])
def test_propensity_auc_is_calibrated(auc):
    sim = make_semisynthetic(_households(), auc=auc, seed=1)
    assert sim.auc == pytest.approx(auc, abs=0.002)
    assert abs(sim.T.mean() - 0.6) < 0.05


def test_truth_structure():
    X = _households()
    sim = make_semisynthetic(X, auc=0.9, seed=2)
    heavy = X["monetary_sales"] > X["monetary_sales"].quantile(0.9)
    assert sim.tau[heavy.to_numpy()].mean() < 0 < sim.tau[~heavy.to_numpy()].mean()
    assert 0 < (sim.tau < 0).mean() < 0.3
    assert (sim.Y >= 0).all() and (sim.Y == 0).any()
    assert sim.X.equals(X.reset_index(drop=True))
    # confounded: heavy buyers are targeted more and the naive difference is far from the true ATE
    assert sim.T[heavy.to_numpy()].mean() > sim.T[~heavy.to_numpy()].mean()
    s = sim.summary_frame().iloc[0]
    assert abs(s["naive_difference"] - s["true_ate"]) > 2 * abs(s["true_ate"])
    again = make_semisynthetic(X, auc=0.9, seed=2)
    assert np.array_equal(again.Y, sim.Y)


def test_mean_outcome_matches_truth_in_expectation():
    # E[Y | x, T=t] = mu0 + t * tau: check the treated-minus-control contrast at the true propensities
    X = _households(4000, 3)
    sim = make_semisynthetic(X, auc=0.8, seed=3)
    ipw = np.mean(sim.T * sim.Y / sim.e - (1 - sim.T) * sim.Y / (1 - sim.e))
    se = np.std(sim.T * sim.Y / sim.e - (1 - sim.T) * sim.Y / (1 - sim.e)) / np.sqrt(len(sim.Y))
    assert abs(ipw - sim.tau.mean()) < 3 * se


def test_bad_inputs():
    with pytest.raises(SegtargetError, match="--auc"):
        make_semisynthetic(_households(), auc=1.2)
    with pytest.raises(SegtargetError, match="at least 100"):
        make_semisynthetic(_households(50))
    bad = _households()
    bad.loc[3, "frequency"] = np.nan
    with pytest.raises(SegtargetError, match="'frequency'"):
        make_semisynthetic(bad)
