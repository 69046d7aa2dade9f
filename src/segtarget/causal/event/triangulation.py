"""Triangulation: the cross-sectional doubly-robust effect, the event-study DiD and the naive difference, side by
side for the same trials and outcome window, on the same scale.

The three answer "what did the campaign add to a unit's outcome over its window?" under different assumptions:

- **doubly robust** (the ATE stage's headline): no unmeasured confounding given the look-back covariates, and
  overlap; its population is the one the headline rule chose (ATT, overlap-weighted, trimmed: see ``estimand``);
- **event study / stacked DiD** (``event/study.py``): parallel trends of weekly spend between a trial's treated
  and its not-yet-treated controls; always the ATT (treated-weighted over trials);
- **naive**: the raw treated-minus-control difference of the design's outcome (assumes random targeting).

Scale. The design states whether its outcomes are window totals or per-week rates (``Cohort.outcome_scale``).
The event study estimates a per-week effect; for window totals it is multiplied by the mean window length of the
treated units in weeks (days / 7), treating that length as fixed, so the SE scales by the same factor.

Agreement is a test, not an overlap of two CIs: the fourth row is the difference doubly robust minus event
study on the same scale, with a household-bootstrap SE that keeps the two estimates' correlation
(``difference.py``), its 95% CI and p-value. The sentence says "differ by $X (95% CI ..., p = ...)" or "no
detectable difference (..., the test could detect $Y)": a non-rejection from a test that could only detect
a difference of several hundred dollars is not agreement. A failed pre-trend test voids the comparison.
The report leads with the doubly-robust headline: it uses the covariates the design measured for every unit
and is the number the policy stage prices; the event study is the check on it from a different identifying
assumption.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ...stats import Z95
from .difference import POWER_Z, DesignDifference
from ...report.format import money, number

TRI_COLUMNS = ["approach", "method", "estimand", "scale", "estimate", "std_error", "ci_lower", "ci_upper",
               "p_value", "n", "leads_report", "note"]
ES_OUTCOME = {"spend": "purchase_amount", "baskets": "purchase_count"}  # event-study outcome -> design outcome
SCALES = ("window total", "per week")


def scale_factor(outcome_scale: str, treated_weeks: float) -> float:
    """What multiplies the event study's per-week effect to put it on the design's scale (module docstring)."""
    if outcome_scale not in SCALES:
        raise ValueError(f"outcome_scale must be one of {SCALES}, got {outcome_scale!r}")
    return treated_weeks if outcome_scale == "window total" else 1.0


def triangulation_table(ate_table: pd.DataFrame, headline: dict, es_overall: dict, *, outcome: str,
                        treated_weeks: float, outcome_scale: str = "window total",
                        es_note: str = "", pretrend_p: float = float("nan"),
                        difference: DesignDifference | None = None) -> pd.DataFrame:
    """One row per approach (doubly robust headline, event study, naive) for ``outcome``, then the tested
    difference of the first two when ``difference`` (``difference.difference_test`` on this scale) is given.

    ``ate_table``: the ATE stage's table (``ATE_COLUMNS``); ``headline``: its headline dict for ``outcome``;
    ``es_overall``: the event study's overall pooled row (per-week units); ``treated_weeks``: mean outcome
    window length of the treated units, in weeks; ``pretrend_p``: the event study's pre-trend test p-value.
    """
    factor = scale_factor(outcome_scale, treated_weeks)
    rows_naive = ate_table[(ate_table["outcome"] == outcome) & (ate_table["method"] == "naive")]
    naive = rows_naive.iloc[0] if len(rows_naive) else pd.Series(
        {"estimand": "not in the ATE table", "estimate": np.nan, "std_error": np.nan, "ci_lower": np.nan,
         "ci_upper": np.nan, "n": 0})
    conv = (f"per-week effect x {treated_weeks:.2f} weeks (mean treated window)" if factor != 1.0
            else "per-week effect")
    rows = [
        {"approach": "doubly robust (headline)", "method": headline["method"], "estimand": headline["estimand"],
         "scale": outcome_scale, "estimate": headline["estimate"], "std_error": headline["std_error"],
         "ci_lower": headline["ci_lower"], "ci_upper": headline["ci_upper"], "n": int(headline["n"]),
         "leads_report": True, "note": "cross-sectional, look-back covariates; the ATE stage's headline"},
        {"approach": "event study (stacked DiD)", "method": "event_study", "estimand": "ATT",
         "scale": outcome_scale, "estimate": es_overall["estimate"] * factor,
         "std_error": es_overall["std_error"] * factor, "ci_lower": es_overall["ci_lower"] * factor,
         "ci_upper": es_overall["ci_upper"] * factor, "n": int(es_overall["n"]), "leads_report": False,
         "note": f"weekly panel, parallel trends (pre-trend test p {format_p(pretrend_p)}); {conv}"
                 + (f"; {es_note}" if es_note else "")},
        {"approach": "naive difference", "method": "naive", "estimand": str(naive["estimand"]),
         "scale": outcome_scale, "estimate": naive["estimate"], "std_error": naive["std_error"],
         "ci_lower": naive["ci_lower"], "ci_upper": naive["ci_upper"], "n": int(naive["n"]), "leads_report": False,
         "note": "treated minus control means, no adjustment"},
    ]
    if difference is not None:
        d = difference
        rows.append({"approach": "difference (doubly robust − event study)", "method": "difference",
                     "estimand": "difference of the two designs", "scale": outcome_scale, "estimate": d.estimate,
                     "std_error": d.std_error, "ci_lower": d.ci_lower, "ci_upper": d.ci_upper,
                     "p_value": d.p_value, "n": d.households, "leads_report": False,
                     "note": f"{d.method}; {d.draws} draws over {d.households:,} households; detectable "
                             f"difference (80% power, 5% level) {d.detectable:,.2f}"})
    out = pd.DataFrame(rows, columns=TRI_COLUMNS)
    # the estimate rows' own two-sided p-value of "no effect"; the difference row keeps the bootstrap's
    z = out["estimate"] / out["std_error"]
    out["p_value"] = out["p_value"].fillna(pd.Series(2 * stats.norm.sf(np.abs(z.to_numpy(float))), index=out.index))
    return out


def _money(v: float, dollars: bool) -> str:
    return money(v, 0, sign=True) if dollars else number(v, 2, sign=True)


def _fmt(r: pd.Series, dollars: bool) -> str:
    if pd.isna(r["estimate"]):
        return "not available"
    return (f"{_money(r['estimate'], dollars)} (95% CI {_money(r['ci_lower'], dollars)} to "
            f"{_money(r['ci_upper'], dollars)})")


def format_p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"= {p:.3f}"


def _difference_verdict(d: pd.Series, dollars: bool) -> str:
    """The tested difference in words (module docstring); ``d`` is the table's difference row."""
    ci = f"95% CI {_money(d['ci_lower'], dollars)} to {_money(d['ci_upper'], dollars)}, p {format_p(d['p_value'])}"
    if d["p_value"] < 0.05:
        return (f"differ by {_money(d['estimate'], dollars)} ({ci}; doubly robust minus event study, household "
                "bootstrap): one of the two identifying assumptions — no unmeasured confounding, or parallel "
                "trends — fails; read the design gate, the pre-trend test and the refutations")
    detectable = (Z95 + POWER_Z) * float(d["std_error"])
    return (f"show no detectable difference ({_money(d['estimate'], dollars)}, {ci}; the test could detect "
            f"{_money(detectable, dollars).lstrip('+')} with 80% power)")


def triangulation_sentence(tri: pd.DataFrame, outcome: str, pretrend_p: float = float("nan")) -> str:
    """The executive-summary sentence: the three numbers, whether the adjusted two differ, which one leads.

    ``pretrend_p``: the event study's pre-trend test; below 0.05 the comparison is void (said so)."""
    dr, es, nv = (tri.iloc[i] for i in range(3))
    diff = tri[tri["method"] == "difference"]
    dollars = outcome in ("purchase_amount", "coupon_product_spend")
    scale = "per week" if dr["scale"] == "per week" else "over the campaign window"
    if pretrend_p < 0.05:
        verdict = (f"cannot be compared: the event study fails its pre-trend test (p {format_p(pretrend_p)}), so "
                   "it neither confirms nor contradicts the headline")
    elif len(diff):
        verdict = _difference_verdict(diff.iloc[0], dollars)
    else:
        verdict = "were not tested against each other (no household contributions of the headline were given)"
    pop = "" if str(dr["estimand"]).startswith("ATT") else f" (note: the headline is the {dr['estimand']}, the event study the ATT)"
    return (f"Triangulation, {outcome} {scale}: doubly robust {dr['estimand']} {_fmt(dr, dollars)}, "
            f"event-study DiD {_fmt(es, dollars)}, naive difference {_fmt(nv, dollars)}; the doubly-robust and "
            f"event-study estimates {verdict}{pop}. The report leads with the doubly-robust estimate.")


def treated_window_weeks(units: pd.DataFrame) -> float:
    """Mean outcome window length of the treated units, in weeks (days / 7)."""
    t = units[units["treated"] == 1]
    return float(np.mean(t["outcome_weeks"])) if len(t) else float("nan")
