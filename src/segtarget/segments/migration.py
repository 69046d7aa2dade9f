"""Segment migration between consecutive calendar quarters (compute only: no files, no database).

Input: a fitted :class:`~segtarget.segments.model.SegmentModel` and household features per quarter
(``quarters.quarterly_features``). Every household with a purchase in a quarter is assigned with the
model; a household without a purchase in a quarter is in the state ``INACTIVE`` for it.

Definitions:

* Transition matrix (quarter q -> q+1): households counted by (segment in q, segment in q+1), over
  households active in q or q+1. ``row_share`` = the cell's share of its row (where the q segment went).
  ``revenue_from`` / ``revenue_to`` = the cell's households' spend (``model.revenue_feature``) in q / q+1;
  ``revenue_moved`` = ``revenue_from`` of households that changed segment.
* Move: a household active in both quarters whose segment differs.
* Distance ratio = distance to the nearest centroid / distance to the second nearest, in factor space
  (1 = on the border). A household is ``uncertain`` in a quarter when its ratio >= ``uncertain_ratio``;
  a move is uncertain when the household is uncertain in either quarter: it may be noise, not behaviour.
* Expected noise moves: each segment's bootstrap reassignment rate (``stability.reassigned``: the share of
  full-pipeline refits that move a household out of it, saved with the model) summed over the households
  active in both quarters, by their q segment. It is how many households would change segment if the
  segment borders alone were redrawn, with no change in behaviour; ``noise_share`` = expected noise moves /
  observed moves (capped at 1). Both are rough: the bootstrap measures border uncertainty on the model's
  training data, not quarter-to-quarter sampling noise.
* At risk: for the last pair of quarters, households whose segment's value tier fell (High -> Medium/Low,
  Medium -> Low) and whose spend fell, or who were in a High/Medium segment and made no purchase in the
  last quarter; with their spend in both quarters, sorted by the spend they had.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import SegtargetError
from .featureset import ID

INACTIVE = "(no purchase)"
TIER_RANK = {"High": 2, "Medium": 1, "Low": 0}


@dataclass(frozen=True)
class MigrationResult:
    """Quarterly assignments, transition tables, at-risk list and one summary row per quarter pair."""

    assignments: pd.DataFrame  # household_id, quarter, segment, segment_name, value_tier, spend, distance_ratio, uncertain
    transitions: pd.DataFrame  # from_quarter, to_quarter, from_segment, to_segment, households, row_share, revenue_*
    at_risk: pd.DataFrame  # household_id, from/to segment and tier, previous_spend, last_quarter_spend, uncertain
    summary: pd.DataFrame = field(repr=False)  # per pair: households, moves, move_share, uncertain, noise

    def summary_frame(self) -> pd.DataFrame:
        return self.summary

    def matrix(self, from_quarter: str, values: str = "households") -> pd.DataFrame:
        """One transition matrix as a from x to table (``values``: households, row_share, revenue_moved...)."""
        t = self.transitions[self.transitions["from_quarter"] == from_quarter]
        return t.pivot_table(index="from_segment", columns="to_segment", values=values, aggfunc="sum", fill_value=0,
                             sort=False)


def assign_quarter(model, feats: pd.DataFrame, quarter: str, uncertain_ratio: float) -> pd.DataFrame:
    """One quarter's households with segment, name, tier, spend and distance ratio."""
    if feats.empty:
        raise SegtargetError(f"quarter {quarter}: no households with purchases; migration needs every quarter populated")
    d = np.sort(model.centroid_distances(feats), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(d[:, 1] > 0, d[:, 0] / d[:, 1], 1.0)
    lab = model.assign(feats)
    tiers = dict(zip(model.summary_["segment"], model.summary_["value_tier"]))
    return lab.assign(quarter=quarter, value_tier=lab["segment"].map(tiers),
                      spend=feats[model.revenue_feature].to_numpy(float), distance_ratio=ratio,
                      uncertain=ratio >= uncertain_ratio)[
        [ID, "quarter", "segment", "segment_name", "value_tier", "spend", "distance_ratio", "uncertain"]]


def _pair(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Outer join of two quarters' assignments; inactive households get INACTIVE, tier None, spend 0."""
    cols = [ID, "segment_name", "value_tier", "spend", "uncertain"]
    m = a[cols].merge(b[cols], on=ID, how="outer", suffixes=("_from", "_to"))
    for side in ("_from", "_to"):
        m["segment_name" + side] = m["segment_name" + side].fillna(INACTIVE)
        m["spend" + side] = m["spend" + side].fillna(0.0)
        m["uncertain" + side] = m["uncertain" + side].fillna(False).astype(bool)
    return m


def _transitions(m: pd.DataFrame, q_from: str, q_to: str, order: list[str]) -> pd.DataFrame:
    g = m.groupby(["segment_name_from", "segment_name_to"], sort=False)
    t = g.agg(households=(ID, "size"), revenue_from=("spend_from", "sum"), revenue_to=("spend_to", "sum")).reset_index()
    t = t.rename(columns={"segment_name_from": "from_segment", "segment_name_to": "to_segment"})
    t["row_share"] = t["households"] / t.groupby("from_segment")["households"].transform("sum")
    t["revenue_moved"] = np.where(t["from_segment"] != t["to_segment"], t["revenue_from"], 0.0)
    rank = {n: i for i, n in enumerate(order + [INACTIVE])}
    t = t.sort_values(["from_segment", "to_segment"], key=lambda s: s.map(rank), ignore_index=True)
    t.insert(0, "to_quarter", q_to)
    t.insert(0, "from_quarter", q_from)
    return t[["from_quarter", "to_quarter", "from_segment", "to_segment", "households", "row_share",
              "revenue_from", "revenue_to", "revenue_moved"]]


def _pair_summary(m: pd.DataFrame, q_from: str, q_to: str, noise_rate: dict[str, float]) -> dict:
    both = m[(m["segment_name_from"] != INACTIVE) & (m["segment_name_to"] != INACTIVE)]
    moved = both["segment_name_from"] != both["segment_name_to"]
    unc = moved & (both["uncertain_from"] | both["uncertain_to"])
    expected = float(both["segment_name_from"].map(noise_rate).sum())
    n_moved = int(moved.sum())
    return {"from_quarter": q_from, "to_quarter": q_to, "active_both": len(both),
            "new_or_returning": int((m["segment_name_from"] == INACTIVE).sum()),
            "no_purchase_next": int((m["segment_name_to"] == INACTIVE).sum()),
            "moves": n_moved, "move_share": n_moved / len(both) if len(both) else np.nan,
            "uncertain_moves": int(unc.sum()), "uncertain_share_of_moves": unc.sum() / n_moved if n_moved else np.nan,
            "expected_noise_moves": expected,
            "noise_share": min(1.0, expected / n_moved) if n_moved and np.isfinite(expected) else np.nan}


def _at_risk(m: pd.DataFrame) -> pd.DataFrame:
    before = m["value_tier_from"].map(TIER_RANK)
    after = m["value_tier_to"].map(TIER_RANK).fillna(-1)  # no purchase ranks below Low
    fell = before.notna() & (after < before) & ((after >= 0) | (before >= 1)) & (m["spend_to"] < m["spend_from"])
    out = m.loc[fell, [ID, "segment_name_from", "segment_name_to", "value_tier_from", "value_tier_to", "spend_from",
                       "spend_to", "uncertain_from", "uncertain_to"]]
    out = out.assign(uncertain=out["uncertain_from"] | out["uncertain_to"],
                     value_tier_to=out["value_tier_to"].fillna("none (no purchase)"))
    out = out.rename(columns={"segment_name_from": "from_segment", "segment_name_to": "to_segment",
                              "value_tier_from": "from_tier", "value_tier_to": "to_tier",
                              "spend_from": "previous_quarter_spend", "spend_to": "last_quarter_spend"})
    return out.drop(columns=["uncertain_from", "uncertain_to"]).sort_values(
        ["previous_quarter_spend", ID], ascending=[False, True], ignore_index=True)


def migrate(model, features_by_quarter: dict[str, pd.DataFrame], uncertain_ratio: float = 0.8) -> MigrationResult:
    """Assign every quarter with ``model`` and compare consecutive quarters (definitions in the module docstring).

    ``features_by_quarter`` maps quarter labels, in time order, to household feature tables."""
    if len(features_by_quarter) < 2:
        raise SegtargetError(f"migration: {len(features_by_quarter)} quarter(s) given; need at least two")
    if not 0 < uncertain_ratio <= 1:
        raise SegtargetError(f"config 'segments.migration_uncertain_ratio' = {uncertain_ratio}: must be in (0, 1]")
    if "value_tier" not in getattr(model, "summary_", pd.DataFrame()).columns:
        raise SegtargetError("segment model: no segment summary (value tiers); re-run 'segtarget segment' to rebuild it")
    per_q = [assign_quarter(model, f, q, uncertain_ratio) for q, f in features_by_quarter.items()]
    order = list(model.names_.sort_values("segment")["name"])
    name_of = dict(zip(model.names_["segment"], model.names_["name"]))
    summ = model.summary_
    rate = summ["reassignment_rate"] if "reassignment_rate" in summ else pd.Series(np.nan, index=summ.index)
    noise_rate = {name_of[s]: float(r) for s, r in zip(summ["segment"], rate)}
    trans, rows = [], []
    for a, b in zip(per_q[:-1], per_q[1:]):
        qa, qb = a["quarter"].iloc[0], b["quarter"].iloc[0]
        m = _pair(a, b)
        trans.append(_transitions(m, qa, qb, order))
        rows.append(_pair_summary(m, qa, qb, noise_rate))
    return MigrationResult(assignments=pd.concat(per_q, ignore_index=True), transitions=pd.concat(trans, ignore_index=True),
                           at_risk=_at_risk(m), summary=pd.DataFrame(rows))


__all__ = ["MigrationResult", "migrate", "assign_quarter", "INACTIVE"]
