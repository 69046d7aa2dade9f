"""The design gate and the bracketed effect: checks that can fail, read by the verdict.

Two assumptions identify a campaign's effect on its members from these observational trials. Each gets a
falsification test whose outcome is *not* a function of the covariates it is adjusted for:

* **Look-back adjustment** (lagged outcome, selection on observables): given the look-back covariates X,
  members would have spent like non-members. *Backcast placebo*: outcome = spend per week over the weeks
  that end where the look-back starts (as many whole weeks as the data hold, at most
  ``gate_backcast_weeks``, at least 4); covariates = the real look-back X. The
  retailer's selection window (the look-back) comes after the placebo window, so if members were picked on
  what X records, earlier spend says nothing about membership beyond X and the adjusted gap is 0. If they
  were picked on a persistent household trait that a 12-week look-back sees only through noise, the
  earlier spend shows the trait: the gap is not 0.
* **Parallel trends** (DiD): without the campaign, members' spend would have changed like non-members'.
  *Pre-trend*: outcome = weekly spend in the look-back minus weekly spend in the backcast window; covariates =
  what does not measure spend levels (demographics, category shares, earlier Type B/C mailers, trial).
  Selection on a transitory spike (picked after a good month) fails it; a persistent trait does not.

Each test runs per trial, with the trial's own cross-fitted nuisances (household-grouped folds), and pooled
as the treated-weighted average of the trial estimates (the aggregation of group-time ATTs), with a
household-clustered SE. The pooled test is at ``gate_alpha``, each trial at gate_alpha / k (Bonferroni). A test
"could detect" a bias of 2.8 SE (80% power, 5% two-sided). The R^2 of each placebo outcome on its own
covariates (OLS) is reported; above ``gate_r2_max`` the placebo is a covariate in disguise and counts as failed.

**The bracket.** The ATT under each assumption, per trial and pooled the same way: the lagged-outcome end
(doubly-robust ATT of window spend on X) and the DiD end (the doubly-robust DiD of Sant'Anna & Zhao 2020,
i.e. the DR ATT of Y - look-back spend per week x window weeks on the non-level covariates; not-yet-treated
controls, no matching on pre-period levels). Under selection on a transitory shock the lagged end is right
and DiD is biased; under a persistent trait the other way round; where either may hold, the two bracket the
effect (Angrist & Pischke 2009, section 5.4; Ding & Li 2019, Political Analysis).

**Status.** ``passed``: the look-back test passes in every trial of the estimate and pooled, and could detect a
bias as large as the effect it guards (the lagged ATT, scaled to the outcome window). ``failed``: it fails
(pooled or in a trial). ``underpowered``: it passes but could not have detected such a bias. ``not testable``:
a trial of the estimate (or every trial) has no history before its look-back, so its selection cannot be
checked. Unless passed, the verdict (:mod:`segtarget.policy.verdict`) never contacts. A pass bounds the bias, it
does not zero it: the interval and the verdict widen the lagged end by what the pooled backcast still allows
(``bias_terms``; at 10x a trait and a spike with offsetting backcast gaps passed with a CI of [5, 22] against 0).

**Sensitivity** (after Rambachan & Roth 2023, relative magnitudes): with post-period trend departures of at most M
times the pre-trend's per week, the DiD interval widens by M x |pre-trend| x window weeks; ``breakdown`` gives the
M at which its lower end reaches a threshold (break-even, in the policy step).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from ...data.db import exact_sum, first_row
from ...stats import Z95
from ..ate.estimators import clustered_se, ratio_dr
from ..nuisance import crossfit_control_outcome, crossfit_propensity, make_folds
from .covariates import DEMOGRAPHICS
from .estimate import Estimate, widen
from .weekly_gap import weekly_gap

DETECT = 2.8  # (z_0.975 + z_0.80): a bias this many SEs from 0 is found with 80% power
MIN_ARM = 20  # a trial needs this many treated and controls for its own nuisances
GATE_FOLDS = 3  # cross-fitting folds of the gate's per-trial nuisances (at most; 8 fits per trial and outcome)
MIN_BACKCAST_WEEKS = 4  # a trial needs this many weeks of data before its look-back for the two tests
LOOKBACK_TEST = "backcast placebo (look-back adjustment)"
TREND_TEST = "pre-trend (parallel trends)"
_RATIOS = ("private_label_ratio", "coupon_savings_ratio", "discount_usage_pct", "bc_campaigns_before")


@dataclass(frozen=True)
class DesignGate:
    """The gate's checks (one row per check and trial), the bracket (one row per trial and pooled), the
    status the verdict reads and why."""

    checks: pd.DataFrame
    bracket: pd.DataFrame
    status: str  # passed | failed | underpowered | not testable
    reasons: tuple[str, ...]  # what failed or was too weak, per trial where it differs
    pattern: str  # the selection pattern the two tests point to
    pretrend_per_week: float  # pooled pre-trend departure per week (dollars), for the sensitivity
    window_weeks: float  # mean outcome window of the treated, in weeks (1 for per-week outcomes)
    sample: np.ndarray | None = None  # the cohort rows either end of the bracket uses (propensity in the band)
    weekly: pd.DataFrame | None = None  # the weekly adjusted gap per trial (weekly_gap.py), a diagnostic

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def pooled(self, end: str) -> tuple[float, float, float]:
        """(estimate, ci_lower, ci_upper) of the pooled ``lagged`` or ``did`` end."""
        r = self.bracket[self.bracket["trial"] == "pooled"].iloc[0]
        return float(r[f"{end}_att"]), float(r[f"{end}_ci_lower"]), float(r[f"{end}_ci_upper"])

    @property
    def bias_terms(self) -> tuple[float, float]:
        """(point, SE) of the sales bias per unit over the outcome window that a pass still allows: the pooled
        backcast's |gap| a week and its SE, times the window's weeks (relative magnitude 1 after Rambachan & Roth
        2023: the outcome window's bias a week no larger than the backcast's). NaN without a backcast."""
        r = self.checks[(self.checks["check"] == LOOKBACK_TEST) & (self.checks["trial"] == "pooled")]
        if r.empty or not np.isfinite(r["std_error"].iloc[0]):
            return float("nan"), float("nan")
        return abs(float(r["estimate"].iloc[0])) * self.window_weeks, float(r["std_error"].iloc[0]) * self.window_weeks

    @property
    def bias_bound(self) -> float:
        """The largest bias the backcast cannot rule out at 95%: point + 1.96 SE of :attr:`bias_terms`."""
        point, se = self.bias_terms
        return point + Z95 * se

    @property
    def interval(self) -> tuple[float, float]:
        """The reported interval: when passed, the lagged end widened by the bias a pass still allows
        (:func:`widen`); otherwise the whole bracket."""
        r = self.bracket[self.bracket["trial"] == "pooled"].iloc[0]
        if self.passed:
            return widen((float(r["lagged_ci_lower"]), float(r["lagged_ci_upper"])), *self.bias_terms)
        return float(r["bracket_lower"]), float(r["bracket_upper"])

    def breakdown(self, threshold: float) -> float:
        """Largest M (post-period trend departure per week / pre-period one) at which the DiD end's 95%
        interval stays above ``threshold``; 0 when it is not above even under exact parallel trends, inf when
        the pre-period shows no departure at all."""
        lo = self.pooled("did")[1]
        if lo <= threshold:
            return 0.0
        slope = abs(self.pretrend_per_week) * self.window_weeks
        return float("inf") if slope == 0 else float((lo - threshold) / slope)

    def summary_frame(self) -> pd.DataFrame:
        return self.checks.copy()


def did_covariates(covariates) -> list[str]:
    """Covariates that do not measure spend or visit levels: the DiD end and the pre-trend test use these."""
    return [c for c in covariates if c.startswith(("share_", "index_")) or c in _RATIOS or c in DEMOGRAPHICS]


def _backcast_spend(con, data: pd.DataFrame, windows: pd.DataFrame, max_weeks: int) -> np.ndarray:
    """Spend per week of every unit over the whole weeks before its trial's look-back (at most ``max_weeks``;
    NaN where the data hold fewer than MIN_BACKCAST_WEEKS)."""
    data_start = first_row(con, "SELECT min(date) FROM clean_transactions")[0]
    w = windows[["index_campaign", "lookback_start"]].copy()
    w["lookback_start"] = pd.to_datetime(w["lookback_start"]).dt.date
    w["weeks"] = [min(max_weeks, (s - data_start).days // 7) for s in w["lookback_start"]]
    w["backcast_start"] = [s - timedelta(weeks=int(k)) for s, k in zip(w["lookback_start"], w["weeks"])]
    u = data[["household_id", "index_campaign"]].reset_index(drop=True).assign(_row=lambda d: np.arange(len(d)))
    u = u.merge(w, on="index_campaign", how="left").sort_values("_row")
    con.register("gate_units_df", u[["_row", "household_id", "backcast_start", "lookback_start"]])
    try:
        got = con.execute(f"""SELECT u._row, coalesce({exact_sum('t.sales_value')}, 0) AS y FROM gate_units_df u
            LEFT JOIN clean_transactions t ON t.household_id = u.household_id
             AND t.date >= u.backcast_start AND t.date < u.lookback_start GROUP BY u._row""").df()
    finally:
        con.unregister("gate_units_df")
    y = u[["_row"]].merge(got, on="_row", how="left")["y"].to_numpy(float) / np.maximum(u["weeks"].to_numpy(), 1)
    return np.where(u["weeks"].to_numpy() >= MIN_BACKCAST_WEEKS, y, np.nan)


def _r2(y: np.ndarray, X: np.ndarray) -> float:
    """OLS R^2 of ``y`` on ``X`` (with an intercept)."""
    A = np.column_stack([np.ones(len(y)), X])
    beta, *_ = np.linalg.lstsq(A, y, rcond=None)
    resid = y - A @ beta
    tss = ((y - y.mean()) ** 2).sum()
    return float(1 - (resid ** 2).sum() / tss) if tss > 0 else 1.0


def _fit_atts(outcomes: dict[str, np.ndarray], t, X, folds, e, seed: int) -> dict[str, tuple[float, np.ndarray]]:
    """(ATT, influence) of each outcome given one propensity ``e`` (already clipped) and the folds."""
    X = _usable(X)
    return {name: ratio_dr(y, t, e, crossfit_control_outcome(y, t, X, folds, seed), True)
            for name, y in outcomes.items()}


def _usable(X: np.ndarray) -> np.ndarray:
    """The non-constant columns (a constant one when none is left: the models then fit the arm means)."""
    X = X[:, X.std(axis=0) > 0] if X.shape[1] else X
    return X if X.shape[1] else np.ones((len(X), 1))


def _growth(num: np.ndarray, den: np.ndarray, control: np.ndarray) -> float:
    """Spend growth of the controls between two windows (ratio of totals; 1 when undefined)."""
    d = den[control].sum()
    return float(num[control].sum() / d) if d > 0 else 1.0


def _trial(parts: dict, t, X_full, X_did, groups, seed: int, ate_cfg, band) -> tuple[dict, dict]:
    """One trial: ({name: (ATT, influence, mask of the units it used)}, {name: the outcome it was estimated on}).

    Each end keeps the units whose propensity *on its own covariates* lies in ``band``: trimming the DiD end on
    the look-back propensity would match it on pre-period spend levels and add regression to the mean
    (Daw & Hatfield 2018)."""
    folds = make_folds(t, min(ate_cfg.folds, GATE_FOLDS), seed, groups)
    out, ys = {}, {}
    for X, names in ((X_full, ("lagged", "backcast")), (X_did, ("did", "pretrend"))):
        e_raw = crossfit_propensity(t, _usable(X), folds, seed)[0]
        keep = (e_raw >= band[0]) & (e_raw <= band[1])
        tk = t[keep]
        if tk.sum() < MIN_ARM or (tk == 0).sum() < MIN_ARM:
            continue
        p = {k: v[keep] for k, v in parts.items()}
        c = tk == 0
        # proportional trends (parallel trends of log mean spend, Wooldridge 2023): spend is multiplicative in a
        # household's level, so a seasonal change moves big spenders' dollars more; each control group's growth
        # factor carries the counterfactual
        made = {"lagged": p["y"], "backcast": p["backcast"],
                "did": p["y"] - _growth(p["y"], p["pre_total"], c) * p["pre_total"],
                "pretrend": p["pre"] - _growth(p["pre"], p["backcast"], c) * p["backcast"]}
        wanted = {n: made[n] for n in names if np.isfinite(made[n]).all()}
        atts = _fit_atts(wanted, tk, X[keep], folds[keep], np.clip(e_raw[keep], ate_cfg.clip, 1 - ate_cfg.clip), seed)
        out |= {n: (a, inf, keep) for n, (a, inf) in atts.items()}
        ys |= wanted
    return out, ys


def _aggregate(parts: dict, n: int, groups: np.ndarray) -> Estimate:
    """Treated-weighted average of trial ATTs with a household-clustered SE (influences stacked by unit);
    ``parts``: trial -> (ATT, influence, row indices, treated units)."""
    total = sum(p[3] for p in parts.values())
    infl = np.zeros(n)
    est = 0.0
    for att, inf_k, idx, n1 in parts.values():
        w = n1 / total
        est += w * att
        infl[idx] = w * n * inf_k / len(inf_k)
    return Estimate(float(est), clustered_se(infl, groups), int(total), int(sum(len(p[2]) for p in parts.values())))


class _Pooler:
    """Collects per-trial (ATT, influence) of several outcomes and pools each over the trials that have it."""

    def __init__(self, n: int, groups: np.ndarray, T: np.ndarray):
        self.n, self.groups, self.T = n, groups, T
        self.parts: dict[str, dict] = {}

    def add(self, trial, idx: np.ndarray, atts: dict) -> dict[str, Estimate]:
        out = {}
        for name, (att, infl, keep) in atts.items():
            rows = idx[keep]
            n1 = int(self.T[rows].sum())
            self.parts.setdefault(name, {})[trial] = (att, infl, rows, n1)
            out[name] = Estimate(att, clustered_se(infl, self.groups[rows]), n1, len(rows))
        return out

    def rows(self, name: str) -> np.ndarray:
        """The cohort rows ``name`` was estimated on, over all trials."""
        got = [p[2] for p in self.parts.get(name, {}).values()]
        return np.concatenate(got) if got else np.array([], int)

    def pooled(self, name: str) -> Estimate | None:
        parts = self.parts.get(name, {})
        return _aggregate(parts, self.n, self.groups) if parts else None


def _check_row(check: str, trial, est: Estimate | None, level: float, r2: float, r2_max: float,
               why_not: str = "") -> dict:
    if est is None:
        return {"check": check, "trial": trial, "estimate": np.nan, "std_error": np.nan, "ci_lower": np.nan,
                "ci_upper": np.nan, "p_value": np.nan, "level": level, "detectable": np.nan, "r2_on_covariates": r2,
                "n_treated": 0, "n": 0, "passed": np.nan, "note": f"not run: {why_not}"}
    valid = not (np.isfinite(r2) and r2 > r2_max)
    passed = bool(valid and est.p_value >= level)
    lo, hi = est.ci
    note = ("passes: no gap beyond what the covariates explain" if passed else
            f"fails: a covariate in disguise (R^2 {r2:.2f} > {r2_max:g}), not a test" if not valid else
            f"fails: an adjusted gap of {est.estimate:+,.2f} where the campaign cannot act")
    return {"check": check, "trial": trial, "estimate": est.estimate, "std_error": est.std_error, "ci_lower": lo,
            "ci_upper": hi, "p_value": est.p_value, "level": level, "detectable": DETECT * est.std_error,
            "r2_on_covariates": r2, "n_treated": est.n_treated, "n": est.n, "passed": passed, "note": note}


def _parts(cohort, backcast: np.ndarray) -> tuple[dict, np.ndarray]:
    """Per unit: window spend, look-back spend per week and scaled to the window, backcast spend per week; and
    the outcome window in weeks (1 for per-week outcomes)."""
    d = cohort.data
    per_week = getattr(cohort, "outcome_scale", "window total") == "per week"
    W = np.ones(len(d)) if per_week else d["outcome_weeks"].to_numpy(float)
    pre = d["pre_spend_week"].to_numpy(float)
    return {"y": d["purchase_amount"].to_numpy(float), "pre": pre, "pre_total": pre * W,
            "backcast": backcast}, W


def compute_gate(tables, cohort, cfg, ate_cfg, seed: int) -> DesignGate:
    """The gate's two tests and the bracket on a campaign-trials cohort (see the module docstring).

    ``cfg`` is the DesignConfig (gate_* keys), ``ate_cfg`` the AteConfig (folds, clip)."""
    d = cohort.data.reset_index(drop=True)
    weeks = int(cfg.gate_backcast_weeks)
    backcast = _backcast_spend(tables.con, d, cohort.windows, weeks)
    parts, W = _parts(cohort, backcast)
    cov = list(cohort.covariates)
    X_full = d[cov].to_numpy(float)
    did_cols = did_covariates(cov)
    X_did = d[did_cols].to_numpy(float) if did_cols else np.ones((len(d), 1))
    T, groups = d["treated"].to_numpy(int), d["household_id"].to_numpy()
    pool = _Pooler(len(d), groups, T)
    trials = sorted(d["index_campaign"].unique())
    k = len(trials)
    rows, per_trial, r2s = [], {}, {}
    for trial in trials:
        idx = np.flatnonzero(d["index_campaign"].to_numpy() == trial)
        if T[idx].sum() < MIN_ARM or (T[idx] == 0).sum() < MIN_ARM:
            per_trial[trial] = f"fewer than {MIN_ARM} treated or controls"
            continue
        atts, ys = _trial({n: v[idx] for n, v in parts.items()}, T[idx], X_full[idx], X_did[idx], groups[idx],
                          seed, ate_cfg, cfg.gate_overlap)
        if not {"lagged", "did"} <= set(atts):
            per_trial[trial] = f"fewer than {MIN_ARM} treated or controls with a propensity in {cfg.gate_overlap}"
            continue
        per_trial[trial] = pool.add(trial, idx, atts)
        for check, name, X in ((LOOKBACK_TEST, "backcast", X_full), (TREND_TEST, "pretrend", X_did)):
            if name in atts:
                r2s[(check, trial)] = _r2(ys[name], X[idx[atts[name][2]]])
    for check, name in ((LOOKBACK_TEST, "backcast"), (TREND_TEST, "pretrend")):
        tested = [tr for tr in trials if isinstance(per_trial.get(tr), dict) and name in per_trial[tr]]
        r2_pool = float(np.mean([r2s[(check, tr)] for tr in tested])) if tested else np.nan
        rows.append(_check_row(check, "pooled", pool.pooled(name), cfg.gate_alpha, r2_pool, cfg.gate_r2_max,
                               f"no trial has {MIN_BACKCAST_WEEKS} weeks of data before its look-back"))
        for tr in trials:
            got = per_trial.get(tr)
            est = got.get(name) if isinstance(got, dict) else None
            why = got if isinstance(got, str) else f"fewer than {MIN_BACKCAST_WEEKS} weeks of data before its look-back"
            rows.append(_check_row(check, str(tr), est, cfg.gate_alpha / k, r2s.get((check, tr), np.nan),
                                   cfg.gate_r2_max, why))
    checks = pd.DataFrame(rows)
    bracket = _bracket(pool, per_trial, trials)
    sample = np.zeros(len(d), bool)
    sample[np.union1d(pool.rows("lagged"), pool.rows("did"))] = True
    window = float(W[sample & (T == 1)].mean()) if (sample & (T == 1)).any() else 1.0
    status, reasons = _status(checks, bracket, window)
    pre = pool.pooled("pretrend")
    return DesignGate(checks=checks, bracket=bracket, status=status, reasons=tuple(reasons),
                      pattern=_pattern(checks), pretrend_per_week=pre.estimate if pre else float("nan"),
                      window_weeks=window, sample=sample,
                      weekly=weekly_gap(tables, cohort, int(cfg.gate_backcast_weeks)))


def _bracket(pool: _Pooler, per_trial: dict, trials) -> pd.DataFrame:
    rows = []
    for trial, ests in [("pooled", {n: pool.pooled(n) for n in ("lagged", "did")})] + \
            [(str(t), per_trial[t]) for t in trials if isinstance(per_trial.get(t), dict)]:
        lag, did = ests["lagged"], ests["did"]
        if lag is None or did is None:
            continue
        (llo, lhi), (dlo, dhi) = lag.ci, did.ci
        rows.append({"trial": trial, "n_treated": lag.n_treated, "n": lag.n, "lagged_att": lag.estimate,
                     "lagged_se": lag.std_error, "lagged_ci_lower": llo, "lagged_ci_upper": lhi,
                     "did_att": did.estimate, "did_se": did.std_error, "did_ci_lower": dlo, "did_ci_upper": dhi,
                     "bracket_lower": min(llo, dlo), "bracket_upper": max(lhi, dhi)})
    return pd.DataFrame(rows)


def _status(checks: pd.DataFrame, bracket: pd.DataFrame, window: float) -> tuple[str, list[str]]:
    look = checks[checks["check"] == LOOKBACK_TEST]
    ran = look[look["passed"].notna()]
    if ran.empty or bracket.empty:
        return "not testable", [f"no trial has {MIN_BACKCAST_WEEKS} weeks of data before its look-back, so selection on a "
                                "persistent household trait cannot be checked"]
    failed = ran[ran["passed"] == False]  # noqa: E712
    if not failed.empty:
        where = ", ".join(f"{'pooled' if r.trial == 'pooled' else 'trial ' + r.trial} ({r.estimate:+,.2f} a week, "
                          f"95% CI {r.ci_lower:+,.2f} to {r.ci_upper:+,.2f})" for r in failed.itertuples())
        ok = [r.trial for r in ran.itertuples() if r.passed and r.trial != "pooled"]
        tail = f"; it passes in trial {', '.join(ok)}" if ok else ""
        return "failed", [f"the backcast placebo (weekly spend before the look-back, which the "
                          f"campaign cannot move) fails in {where}{tail}: members differ in a way the look-back "
                          "does not capture"]
    # a trial in the estimate that the test could not check may carry the very bias the others were cleared of
    untested = bracket[(bracket["trial"] != "pooled") & ~bracket["trial"].isin(ran["trial"])]
    if not untested.empty:
        share = untested["n_treated"].sum() / bracket.loc[bracket["trial"] == "pooled", "n_treated"].iloc[0]
        return "not testable", [f"trial {', '.join(untested['trial'])} ({share:.0%} of the treated) has fewer than "
                                f"{MIN_BACKCAST_WEEKS} weeks of data before its look-back, so how its members were "
                                "picked cannot be checked (design.short_history = 'skip' leaves such trials out)"]
    pooled = ran[ran["trial"] == "pooled"].iloc[0]
    lag = abs(float(bracket.loc[bracket["trial"] == "pooled", "lagged_att"].iloc[0]))
    detect = float(pooled["detectable"]) * window  # the bias per week it could detect, over the outcome window
    if not detect < lag:
        return "underpowered", [f"the backcast placebo passes but could only detect a bias of "
                                f"${float(pooled['detectable']):,.2f} a week, over {window:.1f} weeks of outcome "
                                f"window not less than the effect it guards (${lag:,.2f})"]
    return "passed", []


def _pattern(checks: pd.DataFrame) -> str:
    pooled = checks[checks["trial"] == "pooled"].set_index("check")
    if not {LOOKBACK_TEST, TREND_TEST} <= set(pooled.index) or pooled["passed"].isna().any():
        return "not testable (no history before the look-back)"
    look, trend = bool(pooled.loc[LOOKBACK_TEST, "passed"]), bool(pooled.loc[TREND_TEST, "passed"])
    way = "rising" if pooled.loc[TREND_TEST, "estimate"] > 0 else "falling"
    if not look and trend:
        return ("a persistent household difference the look-back does not capture (a gap before the look-back, "
                "parallel trends)")
    if look and not trend:
        return (f"selection on recent spend: members' spend was {way} into the campaign relative to look-alike "
                "controls (the look-back adjustment handles it; a DiD would not)")
    if not look and not trend:
        return (f"members' spend was {way} before the campaign and the look-back does not capture all of it "
                "(a gap before the look-back and non-parallel trends)")
    return "no selection pattern detected"
