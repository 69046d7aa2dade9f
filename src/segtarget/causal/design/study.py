"""Campaign study designs: one row per study unit with treatment, index campaign, covariates, outcomes.

Three designs (data_mapping.md §4):

``campaign-trials`` (default; :mod:`.trials`)
    One target trial per Type A campaign: its eligible members against eligible households not yet
    targeted by a Type A campaign, with a 12-week look-back for every trial; the trials are stacked, so a
    unit is (household_id, index_campaign) and one household can be a control in several trials.
``first-typeA`` (the reference's stacked design)
    Treated = households targeted by a Type A campaign; the index campaign is their first one.
    Controls = households never targeted by a Type A campaign, each attached to the first Type A window
    in which it shops. Optionally drop controls targeted by any campaign during their outcome window.
``campaign:ID``
    Treated = targeted by campaign ID with no earlier Type A campaign. Controls (``strict``) = not
    targeted by any campaign that started on or before ID's end date; (``loose``) = not targeted by ID
    and never by an earlier Type A campaign.
``controls = "not-yet-treated"`` gives either older design the campaign-trials control rule (for campaign:ID
the trial of campaign ID alone; for first-typeA all trials, i.e. campaign-trials).

For the older designs:
Windows, per index campaign with start S and end E (dates, inclusive):
    covariates from the look-back [S - L, S), the same length L for every unit (default: the longest
    window every index campaign has, i.e. S_first - data start), with recency measured from S - 1 day;
    outcomes over [S, min(E + post_weeks, next Type A start - 1 day, data end)].
This fixes the reference's non-comparable pre-periods (§11): cumulative features cover the same span for
treated and controls.

Outcomes: :mod:`.outcomes`; covariates: :mod:`.covariates` (the same for every design);
``pre_spend_week`` (look-back spend per week) is the CUPED covariate. Trial fixed effects: one dummy per
index campaign but the first (``index_<id>``) in the covariates.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

import numpy as np
import pandas as pd

from ...data.db import first_row, view_exists
from ...errors import SegtargetError
from ..config import DesignConfig
from .covariates import trial_dummies, unit_covariates
from .outcomes import OUTCOMES, as_rates, window_outcomes
from .trials import check_config, trial_units, trial_windows

UNIT_KEY = ("household_id", "index_campaign")


@dataclass(frozen=True)
class Cohort:
    """The unit-level table of a study design and what it is made of."""

    data: pd.DataFrame
    covariates: tuple[str, ...]
    outcomes: tuple[str, ...]
    windows: pd.DataFrame
    counts: pd.DataFrame
    design: str
    lookback_days: int
    skipped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["index_campaign", "reason"]))
    unit_key: tuple[str, ...] = UNIT_KEY  # (household_id, index_campaign) identifies a row of ``data``
    outcome_scale: str = "window total"  # or "per week" (design.truncation = rate)
    lookback_weeks: float = 0.0  # the common look-back length (trials with less history are flagged)

    def summary_frame(self) -> pd.DataFrame:
        return self.windows.merge(self.counts, on="index_campaign", how="left")

    def arrays(self, outcome: str) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, np.ndarray]:
        """``(Y, T, X, groups)`` of ``outcome``, one row per unit, in the order every estimator takes them.

        ``Y`` the outcome (float), ``T`` the 0/1 treatment, ``X`` the covariates (a DataFrame, so models keep
        the column names), ``groups`` the household id of each unit: a household can be a unit of several
        trials, so pass ``groups`` wherever folds are drawn or standard errors clustered.
        """
        if outcome not in self.outcomes:
            raise SegtargetError(f"outcome {outcome!r}: not an outcome of this cohort; choose one of "
                                 f"{', '.join(self.outcomes)}")
        d = self.data
        return (d[outcome].to_numpy(float), d["treated"].to_numpy(int), d[list(self.covariates)].reset_index(drop=True),
                d["household_id"].to_numpy())

    def sample_households(self, fraction: float, random_state: int = 0) -> Cohort:
        """The same design on a random ``fraction`` of its households (all units of a chosen household kept),
        with the per-trial counts recounted: a quick first look in a notebook."""
        if not 0 < fraction <= 1:
            raise SegtargetError(f"fraction = {fraction!r}: use a share of households in (0, 1]")
        ids = np.unique(self.data["household_id"].to_numpy())
        rng = np.random.default_rng(random_state)
        keep = rng.choice(ids, size=max(1, int(round(fraction * len(ids)))), replace=False)
        data = self.data[self.data["household_id"].isin(keep)].reset_index(drop=True)
        return replace(self, data=data, counts=_recount(data, self.counts))


def _recount(data: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """``counts`` (one row per trial) recomputed on ``data``; columns the data cannot give are dropped."""
    treated = data["treated"] == 1
    truncated = data["truncated"].astype(bool) if "truncated" in data else pd.Series(False, index=data.index)
    by = data.assign(n_treated=treated, n_control=~treated, n_truncated=truncated,
                     n_truncated_control=truncated & ~treated).groupby("index_campaign")
    new = by[["n_treated", "n_control", "n_truncated", "n_truncated_control"]].sum().astype(int)
    new = new.reindex(counts["index_campaign"], fill_value=0).reset_index()
    return new[[c for c in counts.columns if c in new.columns]]


def _typea(con) -> pd.DataFrame:
    if not all(view_exists(con, v) for v in ("campaigns", "campaign_members")):
        raise SegtargetError("the causal design needs campaigns and campaign_members tables; the source has none")
    camps = con.execute("SELECT campaign_id, start_date, end_date FROM campaigns WHERE campaign_type = 'A' "
                        "ORDER BY start_date, campaign_id").df()
    if camps.empty:
        raise SegtargetError("the source has no Type A campaign; use design campaign:ID with an existing campaign id")
    return camps


def _windows(con, camps: pd.DataFrame, post_weeks: int, lookback_days: int) -> tuple[pd.DataFrame, int]:
    data_start, data_end = first_row(con, "SELECT min(date), max(date) FROM clean_transactions")
    w = camps.copy()
    w["start_date"] = pd.to_datetime(w["start_date"]).dt.date
    w["end_date"] = pd.to_datetime(w["end_date"]).dt.date
    nxt = list(w["start_date"].iloc[1:]) + [None]
    ends = []
    for end, n in zip(w["end_date"], nxt):
        e = end + timedelta(weeks=post_weeks)
        if n is not None:
            e = min(e, n - timedelta(days=1))
        ends.append(min(e, data_end))
    w["outcome_end"] = ends
    shared = int(min((s - data_start).days for s in w["start_date"]))
    L = lookback_days or shared
    if L <= 0:
        raise SegtargetError("the first campaign starts on the first day of the data: there is no pre-period; "
                             "choose a later campaign or bring earlier transactions")
    w["lookback_start"] = [s - timedelta(days=L) for s in w["start_date"]]
    w["lookback_days"] = L
    w = w.rename(columns={"campaign_id": "index_campaign"})
    w = w[w["start_date"] <= data_end]
    return w[["index_campaign", "lookback_start", "start_date", "end_date", "outcome_end", "lookback_days"]], L


def _register(con, name: str, df: pd.DataFrame) -> None:
    con.register(name, df)


def _all_skipped(design: str, skipped: pd.DataFrame) -> SegtargetError:
    why = "; ".join(f"campaign {r.index_campaign}: {r.reason}" for r in skipped.itertuples())
    return SegtargetError(f"campaigns/campaign_members: design {design} has no trial with both treated and "
                          f"control households ({why or 'no Type A campaign'}); check the campaign tables or "
                          "the design.* keys")


def _finish(tables, units: pd.DataFrame, w: pd.DataFrame, cfg: DesignConfig, rate: bool):
    """Covariates, outcomes and trial dummies of ``units`` (KEY, treated, outcome_start/end, truncated)."""
    cov, names = unit_covariates(tables, units, w)
    key = list(UNIT_KEY)
    data = units.merge(cov, on=key, how="left").merge(window_outcomes(tables.con, units), on=key)
    if rate:
        data = as_rates(data)
    names += trial_dummies(data)
    return data.sort_values(key).reset_index(drop=True), tuple(names)


def _trials_cohort(tables, camps: pd.DataFrame, cfg: DesignConfig, only: int | None) -> Cohort:
    check_config(cfg)
    if only is not None:
        camps = camps[camps.campaign_id == only]
    w, skipped = trial_windows(tables.con, camps, cfg)
    if w.empty:
        raise _all_skipped(cfg.design, skipped)
    units, counts, empty = trial_units(tables.con, w, cfg)
    skipped = pd.concat([skipped, empty], ignore_index=True)
    w = w[~w.index_campaign.isin(empty.index_campaign)]
    if units.empty:
        raise _all_skipped(cfg.design, skipped)
    rate = cfg.truncation == "rate"
    data, names = _finish(tables, units, w, cfg, rate)
    cols = ["index_campaign", "lookback_start", "start_date", "end_date", "outcome_end", "lookback_days",
            "short_history"]
    return Cohort(data=data, covariates=names, outcomes=OUTCOMES, windows=w[cols].reset_index(drop=True),
                  counts=counts[counts.index_campaign.isin(w.index_campaign)].reset_index(drop=True),
                  design=cfg.design, lookback_days=7 * cfg.lookback_weeks, skipped=skipped,
                  outcome_scale="per week" if rate else "window total", lookback_weeks=float(cfg.lookback_weeks))


def _first_typea_units(con, w: pd.DataFrame, cfg: DesignConfig) -> pd.DataFrame:
    _register(con, "design_windows", w)
    treated = con.execute("""
        SELECT household_id, arg_min(index_campaign, start_date) AS index_campaign, 1 AS treated
        FROM campaign_members m JOIN design_windows d ON m.campaign_id = d.index_campaign
        GROUP BY household_id""").df()
    controls = con.execute("""
        WITH never AS (SELECT DISTINCT household_id FROM clean_transactions
                       WHERE household_id NOT IN (SELECT m.household_id FROM campaign_members m
                                                  JOIN campaigns c USING (campaign_id) WHERE c.campaign_type = 'A'))
        SELECT t.household_id, arg_min(d.index_campaign, d.start_date) AS index_campaign, 0 AS treated
        FROM clean_transactions t JOIN never USING (household_id)
        JOIN design_windows d ON t.date BETWEEN d.start_date AND d.end_date
        GROUP BY t.household_id""").df()
    units = pd.concat([treated, controls], ignore_index=True)
    if cfg.exclude_contaminated_controls:
        _register(con, "design_units", units)
        hit = con.execute("""
            SELECT DISTINCT u.household_id FROM design_units u JOIN design_windows d USING (index_campaign)
            JOIN campaign_members m ON m.household_id = u.household_id JOIN campaigns c ON c.campaign_id = m.campaign_id
            WHERE u.treated = 0 AND c.start_date <= d.outcome_end AND c.end_date >= d.start_date""").df()
        units = units[~((units.treated == 0) & units.household_id.isin(hit.household_id))]
    if cfg.require_activity:
        first_start = w["start_date"].min()
        active = con.execute(f"""SELECT household_id FROM clean_transactions GROUP BY household_id
            HAVING min(date) < DATE '{first_start}' AND max(date) >= DATE '{first_start}'""").df()
        units = units[units.household_id.isin(active.household_id)]
    return units


def _single_campaign_units(con, campaign_id: int, w: pd.DataFrame, cfg: DesignConfig) -> pd.DataFrame:
    row = first_row(con, "SELECT campaign_id, start_date, end_date FROM campaigns WHERE campaign_id = ?",
                    [campaign_id])
    if row is None:
        ids = [r[0] for r in con.execute("SELECT campaign_id FROM campaigns ORDER BY 1").fetchall()]
        raise SegtargetError(f"design campaign:{campaign_id}: no such campaign; known ids: {ids}")
    _, start, end = row
    earlier_a = f"""SELECT m.household_id FROM campaign_members m JOIN campaigns c USING (campaign_id)
                    WHERE c.campaign_type = 'A' AND c.start_date < DATE '{start}'"""
    treated = con.execute(f"""SELECT DISTINCT household_id, {campaign_id} AS index_campaign, 1 AS treated
        FROM campaign_members WHERE campaign_id = {campaign_id} AND household_id NOT IN ({earlier_a})""").df()
    if cfg.controls == "strict":
        excluded = f"""SELECT m.household_id FROM campaign_members m JOIN campaigns c USING (campaign_id)
                       WHERE c.start_date <= DATE '{end}'"""
    elif cfg.controls == "loose":
        excluded = f"SELECT household_id FROM campaign_members WHERE campaign_id = {campaign_id} UNION {earlier_a}"
    else:
        raise SegtargetError(f"config design.controls={cfg.controls!r}: use 'strict' or 'loose'")
    controls = con.execute(f"""SELECT DISTINCT household_id, {campaign_id} AS index_campaign, 0 AS treated
        FROM clean_transactions WHERE date < DATE '{start}' AND household_id NOT IN ({excluded})""").df()
    units = pd.concat([treated, controls], ignore_index=True)
    if cfg.require_activity:
        active = con.execute(f"SELECT DISTINCT household_id FROM clean_transactions WHERE date < DATE '{start}'").df()
        units = units[units.household_id.isin(active.household_id)]
    return units


def _campaign_id(design: str) -> int:
    try:
        return int(design.split(":", 1)[1])
    except ValueError:
        raise SegtargetError(f"config design.design={design!r}: write campaign:ID with a numeric id") from None


def build_design(tables, cfg: DesignConfig) -> Cohort:
    """Build the unit-level study table for ``cfg.design`` from canonical tables."""
    con = tables.con
    if not (cfg.design in ("campaign-trials", "first-typeA") or cfg.design.startswith("campaign:")):
        raise SegtargetError(f"config design.design={cfg.design!r}: use 'campaign-trials', 'first-typeA' or "
                             "'campaign:ID'")
    camps = _typea(con)
    only = _campaign_id(cfg.design) if cfg.design.startswith("campaign:") else None
    if cfg.design == "campaign-trials" or cfg.controls == "not-yet-treated":
        if only is not None and only not in set(camps.campaign_id):
            raise SegtargetError(f"design {cfg.design}: campaign {only} is not a Type A campaign; the not-yet-treated "
                                 f"rule needs one of {sorted(camps.campaign_id)}")
        return _trials_cohort(tables, camps, cfg, only)
    if cfg.design == "first-typeA":
        w, L = _windows(con, camps, cfg.post_weeks, cfg.lookback_days)
        units = _first_typea_units(con, w, cfg)
    else:
        one = con.execute("SELECT campaign_id, start_date, end_date FROM campaigns WHERE campaign_id = ?",
                          [only]).df()
        units = _single_campaign_units(con, only, one, cfg)
        later_a = camps[pd.to_datetime(camps.start_date) > pd.to_datetime(one.start_date.iloc[0])]
        w, L = _windows(con, pd.concat([one, later_a.head(1)]), cfg.post_weeks, cfg.lookback_days)
        w = w[w.index_campaign == only]
    counts = units.groupby("index_campaign").treated.agg(n_treated="sum", n=len).reset_index()
    counts["n_control"] = counts["n"] - counts["n_treated"]
    if units.treated.sum() == 0 or (units.treated == 0).sum() == 0:
        arm = "treated" if units.treated.sum() == 0 else "control"
        raise SegtargetError(f"design {cfg.design}: no {arm} households; choose another campaign or design")
    units = units.merge(w[["index_campaign", "start_date", "outcome_end"]], on="index_campaign")
    units = units.rename(columns={"start_date": "outcome_start"}).assign(truncated=False)
    units["outcome_weeks"] = (pd.to_datetime(units.outcome_end) - pd.to_datetime(units.outcome_start)).dt.days.add(1) / 7
    data, names = _finish(tables, units, w, cfg, rate=False)
    return Cohort(data=data, covariates=names, outcomes=OUTCOMES, windows=w.reset_index(drop=True),
                  counts=counts[["index_campaign", "n_treated", "n_control"]], design=cfg.design, lookback_days=L,
                  lookback_weeks=L / 7)
