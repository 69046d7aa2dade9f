"""Positivity (overlap) diagnostics: can the data compare treated and control units like for like?

Definitions (e = cross-fitted, unclipped propensity; T = treatment):

* **PS AUC**: ROC-AUC of e against T. 0.5 means the arms look alike; above ~0.8 the arms differ strongly
  on the covariates and weighting estimators lean on few units.
* **Band shares**: share of units with e in [0.1, 0.9] and in [0.05, 0.95], and counts below / above the
  band by arm (a unit with e < 0.05 has almost no treated twin, e > 0.95 almost no control twin).
* **SMD** of a covariate: (weighted mean_treated - weighted mean_control) / sqrt((s_t^2 + s_c^2) / 2), with
  the *unweighted* sample variances in the denominator so that weighting can only move the numerator
  (Austin & Stuart 2015). Balanced if |SMD| < 0.1. Weights: IPW 1/e and 1/(1-e); overlap e(1-e)-based
  (treated 1-e, controls e); ATT (treated 1, controls e/(1-e)).
* **ESS** of weights w in one arm: (sum w)^2 / sum w^2, the number of equally weighted units carrying the
  same information.
* **Crump et al. (2009) threshold** alpha*: the trimming rule e in [alpha, 1-alpha] that minimises the
  (homoscedastic) variance bound of the trimmed ATE. With g = 1/(e(1-e)): alpha* = 0 if max g <= 2 E[g];
  otherwise gamma solves gamma = 2 E[g | g <= gamma] and alpha* = 1/2 - sqrt(1/4 - 1/gamma).
* **Common-support coverage** of an arm: share of its units that have at least one unit of the other arm
  within a caliper of ``caliper_sd`` standard deviations of logit(e) (Austin 2011). It says whether the
  population of an estimand (treated for the ATT, controls for the ATC) has comparable units at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

_EPS = 1e-6


def logit(e: np.ndarray) -> np.ndarray:
    e = np.clip(np.asarray(e, dtype=float), _EPS, 1 - _EPS)
    return np.log(e / (1 - e))


def balancing_weights(T: np.ndarray, e: np.ndarray, kind: str) -> np.ndarray:
    """Per-unit weights targeting the ATE (``ipw``), the overlap population (``overlap``) or the ATT."""
    T = np.asarray(T, dtype=float)
    if kind == "ipw":
        return T / e + (1 - T) / (1 - e)
    if kind == "overlap":
        return T * (1 - e) + (1 - T) * e
    if kind == "att":
        return T + (1 - T) * e / (1 - e)
    raise ValueError(f"unknown weight kind {kind!r}")


def smd(x: np.ndarray, T: np.ndarray, w: np.ndarray | None = None) -> float:
    """Standardised mean difference (module docstring); 0 when the covariate is constant."""
    x = np.asarray(x, dtype=float)
    t = np.asarray(T) == 1
    w = np.ones_like(x) if w is None else np.asarray(w, dtype=float)
    diff = np.average(x[t], weights=w[t]) - np.average(x[~t], weights=w[~t])
    sd = np.sqrt((x[t].var(ddof=1) + x[~t].var(ddof=1)) / 2)
    return float(diff / sd) if sd > 0 else 0.0


def balance_table(X: pd.DataFrame, T: np.ndarray, e: np.ndarray) -> pd.DataFrame:
    """SMD per covariate before weighting and after IPW, overlap and ATT weighting."""
    w = {k: balancing_weights(T, e, k) for k in ("ipw", "overlap", "att")}
    t = np.asarray(T) == 1
    rows = []
    for col in X.columns:
        x = X[col].to_numpy(dtype=float)
        rows.append({"covariate": col, "mean_treated": float(x[t].mean()), "mean_control": float(x[~t].mean()),
                     "smd_unweighted": smd(x, T), "smd_ipw": smd(x, T, w["ipw"]),
                     "smd_overlap": smd(x, T, w["overlap"]), "smd_att": smd(x, T, w["att"])})
    return pd.DataFrame(rows)


def ess(w: np.ndarray) -> float:
    """Kish effective sample size of a weight vector."""
    w = np.asarray(w, dtype=float)
    return float(w.sum() ** 2 / (w ** 2).sum()) if (w ** 2).sum() > 0 else 0.0


def crump_threshold(e: np.ndarray) -> float:
    """Crump, Hotz, Imbens & Mitnik (2009) optimal trimming threshold alpha* (module docstring)."""
    e = np.clip(np.asarray(e, dtype=float), _EPS, 1 - _EPS)
    g = np.sort(1.0 / (e * (1 - e)))
    if g[-1] <= 2 * g.mean():
        return 0.0
    # E[g | g <= gamma] is a step function of gamma, so the solution is gamma = 2 * mean(g_1..g_k) for the
    # largest k with g_k <= 2 * mean(g_1..g_k); then g_k <= gamma < g_(k+1) as the equation requires.
    cummean = np.cumsum(g) / np.arange(1, len(g) + 1)
    k = np.nonzero(g <= 2 * cummean)[0].max()
    gamma = 2 * cummean[k]
    return float(0.5 - np.sqrt(0.25 - 1.0 / gamma))


def support_coverage(T: np.ndarray, e: np.ndarray, caliper_sd: float) -> tuple[float, float]:
    """(treated coverage, control coverage): share of each arm with an opposite-arm unit within the caliper."""
    lg = logit(e)
    cal = caliper_sd * lg.std()
    t = np.asarray(T) == 1

    def covered(src: np.ndarray, pool: np.ndarray) -> float:
        pool = np.sort(pool)
        i = np.searchsorted(pool, src)
        lo = pool[np.clip(i - 1, 0, len(pool) - 1)]
        hi = pool[np.clip(i, 0, len(pool) - 1)]
        return float((np.minimum(np.abs(src - lo), np.abs(src - hi)) <= cal).mean())

    return covered(lg[t], lg[~t]), covered(lg[~t], lg[t])


def positivity_summary(T: np.ndarray, e_raw: np.ndarray, *, clip: float, band: float,
                       caliper_sd: float) -> dict:
    """All scalar overlap diagnostics of one propensity vector (see the module docstring)."""
    from sklearn.metrics import roc_auc_score

    T = np.asarray(T, dtype=int)
    e_raw = np.asarray(e_raw, dtype=float)
    t = T == 1
    e = np.clip(e_raw, clip, 1 - clip)
    alpha = crump_threshold(e_raw)
    cov_t, cov_c = support_coverage(T, e_raw, caliper_sd)
    out = {
        "n": len(T), "n_treated": int(t.sum()), "n_control": int((~t).sum()),
        "ps_auc": float(roc_auc_score(T, e_raw)),
        "share_in_10_90": float(((e_raw >= 0.1) & (e_raw <= 0.9)).mean()),
        "share_in_05_95": float(((e_raw >= 0.05) & (e_raw <= 0.95)).mean()),
        "share_in_band": float(((e_raw >= band) & (e_raw <= 1 - band)).mean()),
        "treated_share_above_band": float((e_raw[t] > 1 - band).mean()),
        "control_share_below_band": float((e_raw[~t] < band).mean()),
        "n_below_band_treated": int((t & (e_raw < band)).sum()),
        "n_below_band_control": int((~t & (e_raw < band)).sum()),
        "n_above_band_treated": int((t & (e_raw > 1 - band)).sum()),
        "n_above_band_control": int((~t & (e_raw > 1 - band)).sum()),
        "ps_min_treated": float(e_raw[t].min()), "ps_max_treated": float(e_raw[t].max()),
        "ps_min_control": float(e_raw[~t].min()), "ps_max_control": float(e_raw[~t].max()),
        "n_clipped": int(((e_raw < clip) | (e_raw > 1 - clip)).sum()),
        "crump_alpha": alpha,
        "n_in_crump": int(((e_raw >= alpha) & (e_raw <= 1 - alpha)).sum()),
        "support_coverage_treated": cov_t, "support_coverage_control": cov_c,
    }
    for kind in ("ipw", "overlap", "att"):
        w = balancing_weights(T, e, kind)
        out[f"ess_{kind}_treated"] = ess(w[t])
        out[f"ess_{kind}_control"] = ess(w[~t])
    return out


def overlap_verdict(s: dict, min_coverage: float) -> str:
    """Plain-words reading of a :func:`positivity_summary`, with what to do about it."""
    pct = lambda v: f"{100 * v:.0f}%"  # noqa: E731
    facts = (f"PS AUC {s['ps_auc']:.2f}; {pct(s['share_in_10_90'])} of units have a propensity in [0.1, 0.9] "
             f"and {pct(s['share_in_05_95'])} in [0.05, 0.95]; {s['n_below_band_control']} controls and "
             f"{s['n_below_band_treated']} treated sit below the band, {s['n_above_band_treated']} treated and "
             f"{s['n_above_band_control']} controls above it.")
    if s["share_in_band"] >= min_coverage:
        return ("Overlap is adequate: " + facts + " Treated and control units are comparable across the "
                "covariate range, so the full-population ATE is estimable (AIPW).")
    crump = (f"Crump et al. trimming at alpha = {s['crump_alpha']:.3f} would keep {s['n_in_crump']} of "
             f"{s['n']} units.")
    if s["support_coverage_treated"] >= min_coverage:
        return ("Overlap is one-sided: " + facts + " Most of the problem is control units unlike any treated "
                "unit; the treated themselves have comparable controls "
                f"({pct(s['support_coverage_treated'])} on common support), so the effect on the treated (ATT) "
                "is estimable but the full-population ATE is not. " + crump + " Advice: report the ATT, drop "
                "or down-weight controls far from every treated unit, and do not read the ATE as a population "
                "effect.")
    if s["support_coverage_control"] >= min_coverage:
        return ("Overlap is one-sided: " + facts + " Most of the problem is treated units unlike any control; "
                "the controls have comparable treated units, so the effect on the untreated (ATC) is "
                "estimable but the ATE and ATT are not. " + crump + " Advice: report the ATC or the "
                "overlap-weighted effect.")
    return ("Overlap is poor on both sides: " + facts + " The full-population ATE is not identified in "
            "practice: weighting estimators would rest on a few units with extreme weights, and outcome models "
            "would extrapolate. " + crump + " Advice: report the overlap-weighted effect (ATO) or the "
            "Crump-trimmed AIPW, each for the population it describes; look for covariates that separate the "
            "arms mechanically (different look-back windows, eligibility rules) and fix the design; "
            "for a population-wide answer run a randomised test.")


@dataclass(frozen=True)
class PositivityReport:
    """Overlap diagnostics of one treatment assignment."""

    summary: dict
    balance: pd.DataFrame
    verdict: str
    warnings: list[str] = field(default_factory=list)

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"metric": list(self.summary), "value": list(self.summary.values())})


def positivity_report(X: pd.DataFrame, T: np.ndarray, e_raw: np.ndarray, *, clip: float, band: float,
                      caliper_sd: float, min_coverage: float) -> PositivityReport:
    """Summary, balance table, verdict and warnings for one propensity vector."""
    s = positivity_summary(T, e_raw, clip=clip, band=band, caliper_sd=caliper_sd)
    bal = balance_table(X, T, np.clip(e_raw, clip, 1 - clip))
    s["n_balanced_unweighted"] = int((bal["smd_unweighted"].abs() < 0.1).sum())
    s["n_balanced_ipw"] = int((bal["smd_ipw"].abs() < 0.1).sum())
    s["n_balanced_overlap"] = int((bal["smd_overlap"].abs() < 0.1).sum())
    s["n_balanced_att"] = int((bal["smd_att"].abs() < 0.1).sum())
    s["n_covariates"] = len(bal)
    warnings = []
    if s["share_in_band"] < min_coverage:
        warnings.append(f"{100 * (1 - s['share_in_band']):.0f}% of units have a propensity outside "
                        f"[{band}, {1 - band}]; the full-population ATE rests on extrapolation.")
    if s["n_clipped"]:
        warnings.append(f"{s['n_clipped']} propensities were clipped to [{clip}, {1 - clip}] inside the weights.")
    if s["n_balanced_ipw"] < s["n_covariates"]:
        warnings.append(f"IPW leaves {s['n_covariates'] - s['n_balanced_ipw']} of {s['n_covariates']} covariates "
                        "with |SMD| >= 0.1.")
    return PositivityReport(summary=s, balance=bal, verdict=overlap_verdict(s, min_coverage), warnings=warnings)
