"""The ``campaign-trials`` design: one target trial per Type A campaign, stacked.

For every Type A campaign c with start S_c and end E_c (dates, inclusive):

* **look-back**: [S_c - L, S_c) with L = ``lookback_weeks`` weeks for every trial; a trial whose data start
  later than S_c - L is left out (``short_history="skip"``, the default: one look-back length for every
  trial) or uses what it has (``"run"``, flagged; the design gate cannot check it); less than
  ``min_lookback_weeks`` of history is always left out.
* **eligible**: no Type A membership in a campaign that started before S_c, and at least one basket in the
  look-back.
* **treated**: eligible members of c. **Controls**: eligible non-members of c (``control_pool``: all of them,
  only the never-targeted, or only those targeted by a *later* Type A campaign, the not-yet-treated).
* **outcome window** of a unit: [S_c, min(E_c + post_weeks, data end, the day before the unit's own next
  Type A campaign starts)]. The cut applies to both arms (the estimand is the effect of c before any further
  Type A mailer); a unit whose window is cut is ``truncated``. ``truncation="drop"`` removes truncated units
  (outcomes stay window totals); ``"rate"`` keeps them and turns every money/count outcome into a per-week
  rate over the observed window, for every unit, so no truncated total is compared with a full one.

Default ``truncation="drop"``: outcomes stay in dollars per campaign window, the unit the policy economics
prices (profit per contact), and on the embedded data no unit is truncated with ``post_weeks = 4`` (the
Type A campaigns are 6+ weeks apart), so nothing is dropped. Dropping conditions on later targeting, which
the retailer decides partly from spend inside this window; when many units are truncated use ``rate``
(the report prints the count).

Refutations reuse the same rules with ``shift_weeks > 0``: every trial start moves that many weeks earlier
(look-back and covariates with it), membership and eligibility stay those of the real campaign, and the
outcome window ends the day before the real start, so any "effect" found there is bias, not the campaign.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from ...data.db import first_row
from ...errors import SegtargetError

TRUNCATION_MODES = ("drop", "rate")
SHORT_HISTORY = ("run", "skip")
CONTROL_POOLS = {
    "eligible": "TRUE",
    "never": "NOT u.ever_a",
    "later": "u.next_a IS NOT NULL",
}


def check_config(cfg) -> None:
    """One-line errors for the campaign-trials keys."""
    if cfg.truncation not in TRUNCATION_MODES:
        raise SegtargetError(f"config design.truncation={cfg.truncation!r}: use 'drop' or 'rate'")
    if cfg.short_history not in SHORT_HISTORY:
        raise SegtargetError(f"config design.short_history={cfg.short_history!r}: use 'run' or 'skip'")
    if cfg.control_pool not in CONTROL_POOLS:
        raise SegtargetError(f"config design.control_pool={cfg.control_pool!r}: use one of {list(CONTROL_POOLS)}")
    if cfg.lookback_weeks < 1 or cfg.post_weeks < 0 or cfg.shift_weeks < 0:
        raise SegtargetError("config design.lookback_weeks must be >= 1, design.post_weeks and design.shift_weeks "
                             ">= 0")


def trial_windows(con, camps: pd.DataFrame, cfg) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(windows of the trials that run, skipped trials with a reason); one row per Type A campaign."""
    data_start, data_end = first_row(con, "SELECT min(date), max(date) FROM clean_transactions")
    L = 7 * cfg.lookback_weeks
    if L >= (data_end - data_start).days:
        raise SegtargetError(f"config design.lookback_weeks={cfg.lookback_weeks}: the look-back is longer than the "
                             f"data ({data_start} to {data_end}); choose fewer weeks")
    rows, skipped = [], []
    for c in camps.itertuples():
        real = pd.Timestamp(c.start_date).date()
        start = real - timedelta(weeks=cfg.shift_weeks)
        end = pd.Timestamp(c.end_date).date()
        out_end = min(end + timedelta(weeks=cfg.post_weeks), data_end)
        if cfg.shift_weeks:
            out_end = min(out_end, real - timedelta(days=1))
        history = (start - data_start).days
        reason = None
        if start > data_end:
            reason = "starts after the last transaction"
        elif history < 7 * cfg.min_lookback_weeks:
            reason = f"only {history} days of history before the start (< design.min_lookback_weeks)"
        elif history < L and cfg.short_history == "skip":
            reason = f"only {history} days of history before the start (< {L}; design.short_history=skip)"
        if reason:
            skipped.append({"index_campaign": c.campaign_id, "reason": reason})
            continue
        rows.append({"index_campaign": c.campaign_id, "lookback_start": max(start - timedelta(days=L), data_start),
                     "start_date": start, "end_date": end, "outcome_end": out_end, "real_start": real,
                     "lookback_days": min(L, history), "short_history": history < L})
    return pd.DataFrame(rows), pd.DataFrame(skipped, columns=["index_campaign", "reason"])


def _units_sql(pool: str) -> str:
    return f"""
    WITH a AS (SELECT m.household_id, c.campaign_id, c.start_date
               FROM campaign_members m JOIN campaigns c USING (campaign_id) WHERE c.campaign_type = 'A'),
    active AS (SELECT DISTINCT w.index_campaign, t.household_id FROM design_trials w
               JOIN clean_transactions t ON t.date >= w.lookback_start AND t.date < w.start_date),
    u AS (SELECT w.index_campaign, s.household_id,
                 EXISTS (SELECT 1 FROM a WHERE a.household_id = s.household_id
                         AND a.campaign_id = w.index_campaign) AS member,
                 EXISTS (SELECT 1 FROM a WHERE a.household_id = s.household_id
                         AND a.start_date < w.real_start) AS earlier_a,
                 EXISTS (SELECT 1 FROM a WHERE a.household_id = s.household_id) AS ever_a,
                 (SELECT min(a.start_date) FROM a WHERE a.household_id = s.household_id
                  AND a.start_date > w.real_start) AS next_a,
                 w.start_date, w.outcome_end
          FROM active s JOIN design_trials w USING (index_campaign))
    SELECT u.household_id, u.index_campaign, u.member::INT AS treated, u.start_date AS outcome_start,
           least(u.outcome_end, coalesce(u.next_a - INTERVAL 1 DAY, u.outcome_end))::DATE AS outcome_end,
           u.next_a IS NOT NULL AND u.next_a <= u.outcome_end AS truncated
    FROM u WHERE NOT u.earlier_a AND (u.member OR ({pool}))"""


def trial_units(con, w: pd.DataFrame, cfg) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(units, counts per trial, trials skipped for lack of treated or controls)."""
    con.register("design_trials", w)
    units = con.execute(_units_sql(CONTROL_POOLS[cfg.control_pool])).df()
    units["outcome_start"] = pd.to_datetime(units["outcome_start"]).dt.date
    units["outcome_end"] = pd.to_datetime(units["outcome_end"]).dt.date
    units["truncated"] = units["truncated"].astype(bool)
    counts = units.groupby("index_campaign").agg(
        n_treated=("treated", "sum"), n_control=("treated", lambda t: int((t == 0).sum())),
        n_truncated=("truncated", "sum"),
        n_truncated_control=("truncated", lambda s: int((s & (units.loc[s.index, "treated"] == 0)).sum())))
    counts = counts.reindex(w["index_campaign"], fill_value=0).reset_index()
    if cfg.truncation == "drop":
        units = units[~units["truncated"]]
    kept = units.groupby("index_campaign").treated.agg(["sum", "count"])
    kept = kept.reindex(w["index_campaign"], fill_value=0)
    skipped = []
    dropped = " after dropping truncated units (design.truncation=drop)" if cfg.truncation == "drop" else ""
    for cid, r in kept.iterrows():
        if r["sum"] == 0:
            skipped.append({"index_campaign": cid, "reason": "no eligible treated household (every member was "
                            f"targeted by an earlier Type A campaign or has no basket in the look-back){dropped}"})
        elif r["count"] - r["sum"] == 0:
            skipped.append({"index_campaign": cid, "reason": f"no eligible control household (control pool "
                            f"'{cfg.control_pool}'){dropped}"})
    skipped = pd.DataFrame(skipped, columns=["index_campaign", "reason"])
    units = units[~units.index_campaign.isin(skipped.index_campaign)]
    units = units.sort_values(["index_campaign", "household_id"]).reset_index(drop=True)
    units["outcome_weeks"] = (pd.to_datetime(units.outcome_end) - pd.to_datetime(units.outcome_start)).dt.days.add(1) / 7
    return units, counts, skipped
