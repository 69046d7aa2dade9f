"""The estimators the pipeline actually runs on simulated data with a known truth: the doubly-robust ATT and
ATC with covariates (the odds-weighted outcome regression path, ``X`` given) and LinearDML (``ate_dml``)."""

from __future__ import annotations

import numpy as np
import pytest

from segtarget.causal.ate import dml as ate_dml
from segtarget.causal.ate import estimators as ate
from segtarget.causal.nuisance import crossfit_nuisances

Z = 1.959963984540054


def _heterogeneous(n=4000, seed=0):
    """Selection on x0 and an effect rising in x0: the treated gain more than the controls would (ATT > ATE > ATC)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    e = 1 / (1 + np.exp(-1.2 * X[:, 0]))
    T = rng.binomial(1, e)
    tau = 1.0 + 2.0 * X[:, 0]
    Y = 2.0 * X[:, 0] + np.sin(2 * X[:, 1]) + T * tau + rng.normal(size=n)
    return Y, T, X, tau


@pytest.fixture(scope="module")
def sim():
    Y, T, X, tau = _heterogeneous()
    nuis = crossfit_nuisances(Y, T, X, n_folds=5, seed=0)
    return Y, T, X, tau, nuis


def _covers(est, truth):
    return est.estimate - Z * est.std_error <= truth <= est.estimate + Z * est.std_error


def test_att_and_atc_with_covariates_recover_their_own_estimand(sim):
    Y, T, X, tau, nuis = sim
    truth = {"att": tau[T == 1].mean(), "atc": tau[T == 0].mean(), "ate": tau.mean()}
    assert truth["att"] - truth["atc"] > 1.5  # the estimands are far apart in this design
    att = ate.att_dr(Y, T, nuis, X, seed=0)
    atc = ate.atc_dr(Y, T, nuis, X, seed=0)
    assert (att.method, atc.method) == ("att", "atc")
    assert _covers(att, truth["att"]), (att, truth)
    assert _covers(atc, truth["atc"]), (atc, truth)
    # and they are not the ATE in disguise: each CI excludes the other estimands
    assert not _covers(att, truth["ate"]) and not _covers(att, truth["atc"])
    assert not _covers(atc, truth["ate"]) and not _covers(atc, truth["att"])


def test_the_pipeline_family_uses_the_covariate_path(sim):
    """weighting_family (what ate_pipeline runs) gives the ATT/ATC of the odds-weighted regression, which
    differs from the plain-nuisance version (X=None) on the same split."""
    Y, T, X, tau, nuis = sim
    rows = {e.method: e for e in ate.weighting_family(Y, T, X, nuis, seed=0)}
    for method, fn in (("att", ate.att_dr), ("atc", ate.atc_dr)):
        with_x = fn(Y, T, nuis, X, seed=0)
        assert rows[method].estimate == pytest.approx(with_x.estimate)
        assert rows[method].std_error == pytest.approx(with_x.std_error)
        assert with_x.estimate != pytest.approx(fn(Y, T, nuis).estimate, rel=1e-6)


def test_att_and_atc_with_covariates_survive_a_wrong_propensity(sim):
    """Doubly robust: with the propensity replaced by a constant (as wrong as it gets), the outcome regression
    of the arm opposite the target, fitted on covariates, still recovers each estimand. (A regression fitted on
    the wrong arm, or no covariate adjustment, would return the other arm's effect here.)"""
    import dataclasses

    Y, T, X, tau, nuis = sim
    flat = dataclasses.replace(nuis, e=np.full(len(T), T.mean()))
    att, atc = ate.att_dr(Y, T, flat, X, seed=0), ate.atc_dr(Y, T, flat, X, seed=0)
    # within 0.3 of the truth while ATT and ATC are 1.9 apart (the regression extrapolates a little: no weights)
    assert abs(att.estimate - tau[T == 1].mean()) < 0.3 and abs(atc.estimate - tau[T == 0].mean()) < 0.3, \
        (att.estimate, tau[T == 1].mean(), atc.estimate, tau[T == 0].mean())


# ------------------------------------------------------------------------------------------------------- DML
def _constant_effect(theta, n=3000, seed=0, repeat=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    T = rng.binomial(1, 1 / (1 + np.exp(-X[:, 0])))
    Y = theta * T + 2.0 * X[:, 0] + np.cos(2 * X[:, 1]) + rng.normal(size=n)
    groups = np.repeat(np.arange(n // repeat + 1), repeat)[:n]
    return Y, T, X, groups


def test_dml_recovers_a_known_effect_with_a_ci_that_covers_it():
    Y, T, X, _ = _constant_effect(2.0)
    naive = Y[T == 1].mean() - Y[T == 0].mean()
    assert naive > 3.0  # confounding by x0 would more than double a naive estimate
    est, sens = ate_dml.dml_ate(Y, T, X, ps_model="logistic", n_folds=3, seed=0)
    assert est.method == "dml" and est.n == len(Y) and est.trim == 0.0
    assert _covers(est, 2.0) and 0 < est.std_error < 0.1, est
    # sensitivity: a clearly non-zero effect is robust to some confounding; the interval widens the CI
    assert 0 < sens.robustness_value < 1
    assert sens.sensitivity_lower < est.estimate - Z * est.std_error
    assert sens.sensitivity_upper > est.estimate + Z * est.std_error


def test_dml_without_an_effect_has_no_robustness_to_lose():
    Y, T, X, _ = _constant_effect(0.0, seed=1)
    est, sens = ate_dml.dml_ate(Y, T, X, ps_model="logistic", n_folds=3, seed=0)
    assert _covers(est, 0.0), est
    assert sens.robustness_value == pytest.approx(0.0, abs=1e-9)  # its CI already includes 0


def test_dml_household_clustering_widens_the_se_when_households_repeat():
    """Each household twice (a stacked design): the clustered SE must account for the duplicate rows."""
    Y, T, X, _ = _constant_effect(2.0, n=1500, seed=2)
    Y2, T2, X2 = np.concatenate([Y, Y]), np.concatenate([T, T]), np.vstack([X, X])
    groups = np.concatenate([np.arange(1500), np.arange(1500)])
    plain, _ = ate_dml.dml_ate(Y2, T2, X2, ps_model="logistic", n_folds=3, seed=0)
    clustered, _ = ate_dml.dml_ate(Y2, T2, X2, ps_model="logistic", n_folds=3, seed=0, groups=groups)
    assert clustered.std_error > 1.25 * plain.std_error
    assert _covers(clustered, 2.0)


def test_dml_trimming_refits_on_the_trimmed_units_and_skips_what_it_cannot_fit():
    Y, T, X, _ = _constant_effect(2.0, n=2000, seed=3)
    e_raw = 1 / (1 + np.exp(-X[:, 0]))
    rows = ate_dml.dml_trimming(Y, T, X, e_raw, (0.0, 0.1, 0.3, 0.49), ps_model="logistic", n_folds=3, seed=0,
                                min_n=300)
    # t = 0 is the full-sample fit (dml_ate's job); t = 0.49 leaves too few units (< min_n)
    assert [r.trim for r in rows] == [0.1, 0.3]
    for r in rows:
        kept = ((e_raw >= r.trim) & (e_raw <= 1 - r.trim)).sum()
        assert r.method == "dml_trim" and r.n == kept and f"[{r.trim:.3g}, {1 - r.trim:.3g}]" in r.estimand
    assert _covers(rows[0], 2.0)
    # an arm too small for the folds is skipped even when there are enough units
    T_few = np.where(np.arange(len(T)) < 5, 1, 0)
    assert ate_dml.dml_trimming(Y, T_few, X, e_raw, (0.1,), ps_model="logistic", n_folds=3, seed=0) == []
