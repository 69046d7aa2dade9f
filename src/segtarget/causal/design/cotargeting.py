"""Co-targeting: the Type B/C campaigns the study units received around their Type A trial.

The retailer sends Type B/C campaigns to many of the households a Type A campaign targets, often inside the
same outcome window. The campaign-trials design compares Type A members with eligible non-members; it does
not hold B/C mail fixed. So the headline estimate is the effect of *the Type A mailer together with the B/C
campaigns that came with it* (the bundle), and the profit counts the B/C-driven sales but not the B/C
campaigns' cost. This module makes that visible:

* :func:`unit_exposure`: per unit, the B/C campaigns (of which the household is a member) that
  **start inside** its outcome window [outcome_start, outcome_end], that start in the ``BEFORE_WEEKS`` (4)
  weeks **before** the start, and that are **active at the start** (started before, end on/after it);
* :func:`cotargeting_table`: the shares by trial and arm, and pooled;
* :func:`cotargeting_sensitivity`: the headline estimator (:func:`.refute.headline_effect`, same method, one
  household-grouped cross-fitting split) on all units and again **without the co-targeted units** (a B/C
  start inside the window), side by side with the number dropped per arm.

What the sensitivity row is and is not. Being co-targeted is decided after the trial start, partly because of
the Type A membership itself (the retailer mails its chosen households more) and partly on in-window spend,
so dropping those units conditions on a post-treatment variable: the row is "the mailer among households the
retailer did not also send a B/C campaign", a sensitivity, not a clean mailer-alone effect. For the same
reason the in-window B/C exposure must NOT be added as a covariate (that would adjust for a mediator and a
collider of the outcome); the B/C campaigns that started *before* the start are already a covariate
(``bc_campaigns_before``). A treated-control gap that shrinks a lot without the co-targeted units says much
of the headline comes with the B/C campaigns.

The B/C cost: the source has no cost per B/C contact (the cost data price the Type A contact by an assumed
``policy.cost`` and the Type A coupon discounts only). The sentence states the bundle's extra B/C campaigns
per treated household and, at the Type A contact cost as a stand-in, what they would cost; the profit does
not subtract it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...data.db import view_exists
from ..config import AteConfig
from .refute import OUTCOME, headline_effect
from ...report.format import money

BEFORE_WEEKS = 4
MATERIAL_GAP = 0.05  # a treated-control gap in the in-window share above 5 points is reported on the first screen
SHARES = {"share_bc_in_window": "bc_in_window", "share_bc_before_4w": "bc_before_4w",
          "share_bc_active_at_start": "bc_active_at_start"}
POOLED = "all trials"


def unit_exposure(tables, cohort) -> pd.DataFrame:
    """Per unit of ``cohort.data`` (same order): household_id, index_campaign, treated, n_bc_in_window,
    bc_in_window, bc_before_4w, bc_active_at_start (bools). All zero when the source has no campaign members."""
    d = cohort.data
    units = d[["household_id", "index_campaign", "outcome_start", "outcome_end"]].copy()
    units["_row"] = np.arange(len(units))
    counts = pd.DataFrame({"n_in": 0, "n_before": 0, "n_active": 0}, index=units["_row"])
    con = tables.con
    if view_exists(con, "campaign_members") and view_exists(con, "campaigns"):
        con.register("cotarget_units", units)
        try:
            counts = con.execute(f"""
                SELECT u._row,
                  count(DISTINCT c.campaign_id) FILTER (WHERE c.start_date >= CAST(u.outcome_start AS DATE)
                      AND c.start_date <= CAST(u.outcome_end AS DATE)) AS n_in,
                  count(DISTINCT c.campaign_id) FILTER (WHERE c.start_date < CAST(u.outcome_start AS DATE)
                      AND c.start_date >= CAST(u.outcome_start AS DATE) - {7 * BEFORE_WEEKS}) AS n_before,
                  count(DISTINCT c.campaign_id) FILTER (WHERE c.start_date < CAST(u.outcome_start AS DATE)
                      AND c.end_date >= CAST(u.outcome_start AS DATE)) AS n_active
                FROM cotarget_units u
                LEFT JOIN campaign_members m ON m.household_id = u.household_id
                LEFT JOIN campaigns c ON c.campaign_id = m.campaign_id AND c.campaign_type IN ('B', 'C')
                GROUP BY u._row ORDER BY u._row""").df().set_index("_row")
        finally:
            con.unregister("cotarget_units")
    out = d[["household_id", "index_campaign", "treated"]].reset_index(drop=True)
    out["n_bc_in_window"] = counts["n_in"].to_numpy(int)
    out["bc_in_window"] = out["n_bc_in_window"] > 0
    out["bc_before_4w"] = counts["n_before"].to_numpy(int) > 0
    out["bc_active_at_start"] = counts["n_active"].to_numpy(int) > 0
    return out


def _by_arm(exp: pd.DataFrame) -> pd.DataFrame:
    g = exp.groupby("treated")
    t = pd.DataFrame({"n": g.size(), **{k: g[v].mean() for k, v in SHARES.items()},
                      "mean_bc_in_window": g["n_bc_in_window"].mean()}).reset_index()
    t["arm"] = t.pop("treated").map({0: "control", 1: "treated"})
    return t


def table_from_exposure(exp: pd.DataFrame) -> pd.DataFrame:
    """trial, arm, n, the three shares and mean_bc_in_window: one row per trial and arm, then the pooled rows."""
    parts = [_by_arm(g).assign(trial=str(cid)) for cid, g in exp.groupby("index_campaign", sort=True)]
    parts.append(_by_arm(exp).assign(trial=POOLED))
    t = pd.concat(parts, ignore_index=True)
    return t[["trial", "arm", "n", *SHARES, "mean_bc_in_window"]]


def cotargeting_table(tables, cohort) -> pd.DataFrame:
    """B/C exposure inside and before the outcome window, per trial and pooled, by arm."""
    return table_from_exposure(unit_exposure(tables, cohort))


def _est_row(label: str, est, d: pd.DataFrame, dropped: pd.DataFrame) -> dict:
    return {"sample": label, "method": est.method, "estimand": est.estimand, "estimate": est.estimate,
            "std_error": est.std_error, "ci_lower": est.ci_lower, "ci_upper": est.ci_upper,
            "n_treated": int(d["treated"].sum()), "n_control": int((d["treated"] == 0).sum()),
            "dropped_treated": int(dropped["treated"].sum()), "dropped_control": int((dropped["treated"] == 0).sum())}


def sensitivity_without(cohort, cotargeted: np.ndarray, method: str, ate_cfg: AteConfig, seed: int,
                        outcome: str = OUTCOME) -> pd.DataFrame:
    """The headline estimator on every unit and on the units with ``cotargeted`` False: two rows (sample,
    method, estimand, estimate, std_error, ci_lower, ci_upper, n_treated, n_control, dropped_treated,
    dropped_control). Not an adjustment for co-targeting: see the module docstring."""
    mask = np.asarray(cotargeted, bool)
    d = cohort.data
    rows = [_est_row("all units (headline design)", headline_effect(cohort, method, ate_cfg, seed, outcome), d,
                     d.iloc[:0])]
    kept = d[~mask].reset_index(drop=True)
    if kept["treated"].nunique() == 2:
        rest = dataclasses.replace(cohort, data=kept)
        rows.append(_est_row("without co-targeted units (B/C start inside the window)",
                             headline_effect(rest, method, ate_cfg, seed, outcome), kept, d[mask]))
    return pd.DataFrame(rows)


def cotargeting_sensitivity(tables, cohort, method: str, ate_cfg: AteConfig, seed: int) -> pd.DataFrame:
    """The headline estimate with and without the co-targeted units (see :func:`sensitivity_without`)."""
    return sensitivity_without(cohort, unit_exposure(tables, cohort)["bc_in_window"].to_numpy(), method,
                               ate_cfg, seed)


@dataclass(frozen=True)
class Cotargeting:
    """B/C exposure by trial and arm (``table``) and the headline with/without co-targeted units
    (``sensitivity``; one row when dropping them leaves an arm empty)."""

    table: pd.DataFrame
    sensitivity: pd.DataFrame
    method: str

    def pooled(self, arm: str) -> pd.Series:
        t = self.table
        return t[(t["trial"] == POOLED) & (t["arm"] == arm)].iloc[0]

    @property
    def gap(self) -> float:
        """Treated minus control share with a B/C start inside the window (pooled)."""
        return float(self.pooled("treated")["share_bc_in_window"] - self.pooled("control")["share_bc_in_window"])

    @property
    def material(self) -> bool:
        return abs(self.gap) > MATERIAL_GAP

    @property
    def extra_bc_per_treated(self) -> float:
        """Extra B/C campaigns started in the window per treated unit, beyond the controls' rate."""
        return float(self.pooled("treated")["mean_bc_in_window"] - self.pooled("control")["mean_bc_in_window"])

    def summary_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def sentence(self, contact_cost: float | None = None) -> str:
        """Which treatment the headline measures, how the sensitivity row differs, and the uncounted B/C cost
        (priced at ``contact_cost`` per B/C campaign, the Type A contact cost as a stand-in, when given)."""
        pct = lambda v: f"{100 * v:.1f}%"  # noqa: E731
        tr, co = self.pooled("treated"), self.pooled("control")
        text = (f"The headline measures the Type A mailer together with the Type B/C campaigns its members received "
                f"during the window ({pct(tr['share_bc_in_window'])} of treated vs {pct(co['share_bc_in_window'])} "
                f"of controls had a B/C campaign start inside the outcome window; {pct(tr['share_bc_before_4w'])} vs "
                f"{pct(co['share_bc_before_4w'])} in the {BEFORE_WEEKS} weeks before the start): the bundle, not the "
                "mailer alone.")
        s = self.sensitivity
        if len(s) == 2:
            full, rest = s.iloc[0], s.iloc[1]
            text += (f" Without the co-targeted units ({rest['dropped_treated']:,} treated and "
                     f"{rest['dropped_control']:,} controls dropped) the {self.method.upper()} is "
                     f"{_ci(rest)} against {_ci(full)} with them (same estimator, one cross-fitting split); "
                     "that row conditions on B/C targeting after the start, so it is a sensitivity, not the "
                     "mailer-alone effect.")
        text += " The profit counts the B/C-driven sales but not the B/C campaigns' cost"
        extra = self.extra_bc_per_treated
        if contact_cost is not None and extra > 0:
            text += (f": the treated received {extra:.2f} more B/C campaigns per household in the window; at the "
                     f"Type A contact cost ({money(contact_cost, 2)}, an assumption; the data have no B/C cost) "
                     "that is "
                     f"{money(extra * contact_cost, 2)} per treated household, not counted.")
        else:
            text += " (the data have no B/C cost per contact, so nothing subtracts it)."
        return text


def _ci(row) -> str:
    def m(v):
        return money(v, 2, sign=True)
    return f"{m(row['estimate'])} (95% CI {m(row['ci_lower'])} to {m(row['ci_upper'])})"


def compute_cotargeting(tables, cohort, method: str, ate_cfg: AteConfig, seed: int) -> Cotargeting:
    """Exposure table and sensitivity of the headline ``method`` on ``purchase_amount``."""
    exp = unit_exposure(tables, cohort)
    sens = sensitivity_without(cohort, exp["bc_in_window"].to_numpy(), method, ate_cfg, seed)
    return Cotargeting(table=table_from_exposure(exp), sensitivity=sens, method=method)
