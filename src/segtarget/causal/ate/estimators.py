"""The ATE family: one average effect per estimator, each with its estimand, n, std error, CI and p-value.

Notation: Y outcome, T in {0,1}, e = e(x) the cross-fitted propensity clipped to [c, 1-c], mu_t = mu_t(x)
the cross-fitted outcome regressions, p = mean(T). Std errors come from the empirical variance of each
estimator's influence function (IF): SE = sd(IF) / sqrt(n); CI = estimate -/+ z SE with z the two-sided
normal quantile of ``alpha`` (1.96 for the default 0.05); the p-value of "effect = 0" is two-sided by the same
normal approximation, 2 (1 - Phi(|estimate| / SE)). With ``groups``
(household ids of a stacked design, where one household is a unit in several trials) the SE is clustered:
SE = sqrt(G/(G-1) * sum_g (sum_{i in g} IF_i)^2) / n, the IFs summed within each group first (for groups of
one this is the unclustered formula).

* ``naive``  (difference in means, population = everyone if T were random): mean(Y|T=1) - mean(Y|T=0),
  Welch SE. With ``strata`` (the trial of a stacked design) the differences are taken within each stratum and
  averaged with weights n_s / n; IF_i = (n / n_s) pi_s [T (Y - m1s) / p_s - (1-T)(Y - m0s) / (1-p_s)]
  + (d_s - est), p_s the treated share of the stratum.
* ``ols``    coefficient on T in Y ~ 1 + T + X (a variance-weighted ATE under linearity), HC1 SE (clustered
  by group when groups are given).
* ``ipw``    Hajek IPW for the ATE: weighted means with weights T/e and (1-T)/(1-e), each normalised to
  sum 1 within its arm. IF_i = n [w1_i (Y_i - m1) / sum w1 - w0_i (Y_i - m0) / sum w0], e treated as known.
* ``aipw``   ATE = mean(psi) with psi the doubly-robust score of ``nuisance.dr_scores``; IF = psi - ATE.
* ``att``    doubly-robust ATT with normalised control weights (the stabilised form, cf. Sant'Anna & Zhao
  2020): with r = Y - mu0 and w = (1-T) e/(1-e), ATT = mean(r | T=1) - sum w r / sum w;
  IF_i = T_i (r_i - m1) / p - w_i (r_i - m0) / mean(w), m1 and m0 the two means. When covariates are
  given, mu0 is the odds-weighted control regression (``nuisance.odds_weighted_outcome``): fit where the
  treated lie, it leaves less to the noisy weighted correction (on LaLonde's PSID controls the correction
  rests on an effective sample of ~15 controls).
* ``atc``    the mirror image for the controls: r = Y - mu1, w = T (1-e)/e, ATC = sum w r / sum w - mean(r | T=0),
  with mu1 odds-weighted toward the controls when covariates are given.
* ``ato``    augmented overlap-weighted effect (Li, Morgan & Zaslavsky 2018; augmentation as in Mao, Li &
  Greene 2019): with h = e(1-e), ATO = sum h psi / sum h, which equals
  sum h (mu1 - mu0) / sum h + sum T (1-e)(Y - mu1) / sum h - sum (1-T) e (Y - mu0) / sum h.
  The estimand is the effect in the overlap population, whose density is proportional to h(x) times the
  covariate density, with h taken from the cross-fitted e. IF_i = h_i (psi_i - ATO) / mean(h): the ratio
  (linearisation) IF, valid because the augmentation removes first-order sensitivity to mu.
* ``aipw_trim`` / ``dml_trim``: the same on units with raw e in [t, 1-t]; the propensity is *not*
  re-estimated on the trimmed sample (units are selected by the full-sample cross-fitted e, and AIPW keeps
  the full-sample nuisances); the estimand is the ATE of the retained population.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from ...deprecation import renamed_keywords
from ...stats import check_alpha, two_sided_p, z_value
from ..nuisance import Nuisances, dr_scores, odds_weighted_outcome


ESTIMANDS = {
    "naive": "difference in means (no adjustment)",
    "ols": "ATE under a linear outcome model",
    "ipw": "ATE",
    "aipw": "ATE",
    "att": "ATT (effect on the treated)",
    "atc": "ATC (effect on the controls)",
    "ato": "ATO (overlap-weighted population)",
    "dml": "ATE (partially linear model)",
}


@dataclass(frozen=True)
class AteEstimate:
    """One row of the ATE table: the (1 - ``alpha``) CI is estimate -/+ z SE and ``p_value`` the two-sided
    normal-approximation p-value of "effect = 0", 2 (1 - Phi(|estimate| / std_error)) (module docstring)."""

    method: str
    estimand: str
    estimate: float
    std_error: float
    n: int
    trim: float = 0.0
    alpha: float = 0.05

    def __post_init__(self):
        check_alpha(self.alpha)

    @property
    def ci_lower(self) -> float:
        return self.estimate - z_value(self.alpha) * self.std_error

    @property
    def ci_upper(self) -> float:
        return self.estimate + z_value(self.alpha) * self.std_error

    @property
    def p_value(self) -> float:
        return two_sided_p(self.estimate, self.std_error)

    def with_alpha(self, alpha: float) -> AteEstimate:
        """The same estimate with (1 - ``alpha``) intervals."""
        return replace(self, alpha=alpha)

    def as_row(self) -> dict:
        return {**asdict(self), "ci_lower": self.ci_lower, "ci_upper": self.ci_upper, "p_value": self.p_value}

    def summary_frame(self) -> pd.DataFrame:
        """This estimate as a one-row table: the ATE table's columns, the p-value and the level ``alpha``."""
        return pd.DataFrame([self.as_row()])


def clustered_se(influence: np.ndarray, groups: np.ndarray | None) -> float:
    """SE of a mean-zero-centred influence function, summed within groups first (module docstring)."""
    infl = np.asarray(influence, float)
    n = len(infl)
    if groups is None:
        return float(np.std(infl, ddof=1) / np.sqrt(n))
    _, g = np.unique(np.asarray(groups), return_inverse=True)
    sums = np.bincount(g, weights=infl - infl.mean())
    G = len(sums)
    return float(np.sqrt(G / max(G - 1, 1) * (sums ** 2).sum()) / n)


def _from_if(method: str, estimand: str, estimate: float, influence: np.ndarray, trim: float = 0.0,
             groups: np.ndarray | None = None) -> AteEstimate:
    return AteEstimate(method, estimand, float(estimate), clustered_se(influence, groups), len(influence), trim)


def naive(Y, T, groups=None, strata=None) -> AteEstimate:
    Y, t = np.asarray(Y, float), np.asarray(T) == 1
    if strata is None and groups is None:
        est = Y[t].mean() - Y[~t].mean()
        se = np.sqrt(Y[t].var(ddof=1) / t.sum() + Y[~t].var(ddof=1) / (~t).sum())
        return AteEstimate("naive", ESTIMANDS["naive"], float(est), float(se), len(Y))
    strata = np.zeros(len(Y), int) if strata is None else np.asarray(strata)
    n, infl, diffs, pis = len(Y), np.zeros(len(Y)), {}, {}
    for s in np.unique(strata):
        m = strata == s
        if t[m].all() or (~t[m]).all():
            continue  # a stratum with one arm has no within-stratum difference
        m1, m0, p = Y[m & t].mean(), Y[m & ~t].mean(), t[m].mean()
        diffs[s], pis[s] = m1 - m0, m.sum() / n
        infl[m] = (n / m.sum()) * pis[s] * (t[m] * (Y[m] - m1) / p - (~t[m]) * (Y[m] - m0) / (1 - p)) + (m1 - m0)
    w = np.array(list(pis.values())) / sum(pis.values())
    est = float(np.dot(w, list(diffs.values())))
    estimand = ESTIMANDS["naive"] if len(diffs) == 1 else "difference in means within trial (no adjustment)"
    return _from_if("naive", estimand, est, infl - est, groups=groups)


def ols_hc1(Y, T, X, groups=None) -> AteEstimate:
    """Coefficient on T in OLS of Y on [1, T, X] with HC1 (White, small-sample scaled) or cluster std error."""
    import statsmodels.api as sm

    X = np.asarray(X, float)
    keep = X.std(axis=0) > 0  # constant columns are collinear with the intercept
    design = np.column_stack([np.ones(len(Y)), np.asarray(T, float), X[:, keep]])
    model = sm.OLS(np.asarray(Y, float), design)
    if groups is None:
        fit = model.fit(cov_type="HC1")
    else:
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": np.unique(np.asarray(groups), return_inverse=True)[1]})
    return AteEstimate("ols", ESTIMANDS["ols"], float(fit.params[1]), float(fit.bse[1]), len(Y))


def ipw_hajek(Y, T, e, groups=None) -> AteEstimate:
    Y, T, e = np.asarray(Y, float), np.asarray(T, float), np.asarray(e, float)
    w1, w0 = T / e, (1 - T) / (1 - e)
    m1, m0 = (w1 * Y).sum() / w1.sum(), (w0 * Y).sum() / w0.sum()
    n = len(Y)
    infl = n * (w1 * (Y - m1) / w1.sum() - w0 * (Y - m0) / w0.sum())
    return _from_if("ipw", ESTIMANDS["ipw"], m1 - m0, infl, groups=groups)


def aipw(Y, T, nuis: Nuisances, mask: np.ndarray | None = None, trim: float = 0.0, groups=None,
         estimand: str | None = None, alpha: float = 0.05) -> AteEstimate:
    """AIPW ATE from the cross-fitted ``nuis`` (on the units of ``mask`` when given), clustered by ``groups``,
    with (1 - ``alpha``) intervals."""
    psi = dr_scores(Y, T, nuis)
    if mask is not None:
        psi = psi[mask]
        groups = None if groups is None else np.asarray(groups)[mask]
    method = "aipw" if mask is None else "aipw_trim"
    estimand = estimand or (ESTIMANDS["aipw"] if mask is None else f"ATE of units with e in [{trim:.3g}, "
                                                                   f"{1 - trim:.3g}]")
    return _from_if(method, estimand, psi.mean(), psi - psi.mean(), trim, groups).with_alpha(alpha)


def ratio_dr(Y, T, e, mu, treated_target: bool = True) -> tuple[float, np.ndarray]:
    """(estimate, influence per unit) of the normalised doubly-robust effect on one arm (ATT if
    ``treated_target`` else ATC); the influence is scaled so that ``clustered_se(influence, groups)`` is its SE."""
    Y, T = np.asarray(Y, float), np.asarray(T, float)
    a = T if treated_target else 1 - T  # the target arm
    w = (1 - a) * (e / (1 - e) if treated_target else (1 - e) / e)  # other arm, reweighted to the target
    r = Y - mu
    m_a, m_w = (a * r).sum() / a.sum(), (w * r).sum() / w.sum()
    infl = a * (r - m_a) / a.mean() - w * (r - m_w) / w.mean()
    sign = 1.0 if treated_target else -1.0
    return float(sign * (m_a - m_w)), sign * infl


def headline_influence(method: str, Y, T, nuis: Nuisances, X=None, seed: int = 0) -> tuple[float, np.ndarray]:
    """(estimate, influence per unit) of the full-sample estimator ``method`` (aipw, att, atc, ato) on one
    split's nuisances, exactly as its estimator below computes them; ``clustered_se(influence, groups)`` is its
    SE. Lets another module combine the headline with a second estimate unit by unit (event/difference.py)."""
    if method == "aipw":
        psi = dr_scores(Y, T, nuis)
        return float(psi.mean()), psi - psi.mean()
    if method == "ato":
        psi = dr_scores(Y, T, nuis)
        h = nuis.e * (1 - nuis.e)
        est = float((h * psi).sum() / h.sum())
        return est, h * (psi - est) / h.mean()
    if method in ("att", "atc"):
        arm = 1 if method == "att" else 0
        mu = ((nuis.mu0 if arm else nuis.mu1) if X is None
              else odds_weighted_outcome(Y, T, X, nuis, target_arm=arm, seed=seed))
        return ratio_dr(Y, T, nuis.e, mu, treated_target=arm == 1)
    raise ValueError(f"no influence function for method {method!r}; use aipw, att, atc or ato")


@renamed_keywords(seed="random_state")
def att_dr(Y, T, nuis: Nuisances, X=None, random_state: int = 0, groups=None) -> AteEstimate:
    return _from_if("att", ESTIMANDS["att"], *headline_influence("att", Y, T, nuis, X, random_state), groups=groups)


@renamed_keywords(seed="random_state")
def atc_dr(Y, T, nuis: Nuisances, X=None, random_state: int = 0, groups=None) -> AteEstimate:
    return _from_if("atc", ESTIMANDS["atc"], *headline_influence("atc", Y, T, nuis, X, random_state), groups=groups)


def ato_dr(Y, T, nuis: Nuisances, groups=None) -> AteEstimate:
    return _from_if("ato", ESTIMANDS["ato"], *headline_influence("ato", Y, T, nuis), groups=groups)


def trim_mask(e_raw: np.ndarray, t: float) -> np.ndarray:
    return (e_raw >= t) & (e_raw <= 1 - t)


def aipw_trimming(Y, T, nuis: Nuisances, trims, min_n: int = 50, groups=None,
                  e_mask: np.ndarray | None = None) -> list[AteEstimate]:
    """AIPW on e_raw in [t, 1-t] for each t; skipped when fewer than ``min_n`` units or one arm is left.

    ``e_mask``: the propensity that selects the trimmed units (default: this split's ``e_raw``). Passing the
    first split's propensity for every repeat makes all splits estimate the same population.
    """
    out = []
    T = np.asarray(T)
    e_sel = nuis.e_raw if e_mask is None else e_mask
    for t in trims:
        m = trim_mask(e_sel, t)
        if m.sum() < min_n or len(np.unique(T[m])) < 2:
            continue
        out.append(aipw(Y, T, nuis, mask=m, trim=float(t), groups=groups))
    return out


@renamed_keywords(seed="random_state")
def weighting_family(Y, T, X, nuis: Nuisances, random_state: int = 0, groups=None, strata=None,
                     alpha: float = 0.05) -> list[AteEstimate]:
    """naive, OLS, IPW, AIPW, ATT, ATC and ATO on the full sample (clustered by ``groups`` when given), with
    (1 - ``alpha``) intervals."""
    family = [naive(Y, T, groups, strata), ols_hc1(Y, T, X, groups), ipw_hajek(Y, T, nuis.e, groups),
              aipw(Y, T, nuis, groups=groups), att_dr(Y, T, nuis, X, random_state, groups),
              atc_dr(Y, T, nuis, X, random_state, groups), ato_dr(Y, T, nuis, groups)]
    return [e.with_alpha(alpha) for e in family]


def median_over_splits(runs: list[list[AteEstimate]]) -> list[AteEstimate]:
    """Combine the same estimators run on several cross-fitting splits (Chernozhukov et al. 2018, §3.4).

    Point: the median over splits; variance: median of (SE_s^2 + (theta_s - median)^2), which adds the
    split-to-split spread to the sampling variance. Rows are matched by (method, trim); n is the median n.
    """
    if len(runs) == 1:
        return runs[0]
    out = []
    for first in runs[0]:
        same = [e for run in runs for e in run if (e.method, e.trim) == (first.method, first.trim)]
        theta = np.array([e.estimate for e in same])
        se = np.array([e.std_error for e in same])
        med = float(np.median(theta))
        var = float(np.median(se ** 2 + (theta - med) ** 2))
        n = int(np.median([e.n for e in same]))
        out.append(AteEstimate(first.method, first.estimand, med, float(np.sqrt(var)), n, first.trim, first.alpha))
    return out


def estimates_frame(estimates: list[AteEstimate], outcome: str) -> pd.DataFrame:
    """One row per estimate (each at its own ``alpha``); the run's ATE table keeps all but ``p_value``."""
    cols = ["outcome", "method", "estimand", "estimate", "std_error", "ci_lower", "ci_upper", "p_value", "n", "trim"]
    rows = [{"outcome": outcome, **e.as_row()} for e in estimates]
    return pd.DataFrame(rows, columns=cols)
