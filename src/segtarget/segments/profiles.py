"""Segment profiles: sizes, feature means and medians, contrasts, value tiers, dominant factor, ANOVA.

Definitions:

* ``z`` of segment s on feature f = (mean of f in s - mean of f over all other households) / sd of f over
  all households: a standardised mean difference against the rest of the customer base ("+1.2" = the
  segment sits 1.2 household standard deviations above everyone else). Constant features get 0.
* ``revenue_share`` = the segment's sum of the revenue feature / the total over all households.
* ``value_tier``: cut all households' revenue into tertiles; a segment is "High" if its median household
  lies in the top third, "Low" if in the bottom third, else "Medium". Tiers therefore do not depend on
  how many segments there are.
* ``dominant_factor``: the factor with the largest lift = segment mean score / mean score over all
  households. Raw scores are not compared across factors, because NMF can move scale between W and H.
* ANOVA: one-way F test per feature across segments (scipy ``f_oneway``), with eta^2 = SS_between /
  SS_total as effect size and Holm-adjusted p-values over features.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import SegtargetError
from .featureset import ID


def numeric_features(df: pd.DataFrame) -> list[str]:
    """Every numeric (non-boolean) column except the household id: what profiles describe."""
    return [c for c in df.columns if c != ID and pd.api.types.is_numeric_dtype(df[c])
            and not pd.api.types.is_bool_dtype(df[c])]


def zscore_table(df: pd.DataFrame, labels: np.ndarray, features: list[str]) -> pd.DataFrame:
    """Segments x features matrix of standardised mean differences (definition in the module docstring)."""
    X = df[features].to_numpy(dtype=float)
    sd = np.nanstd(X, axis=0, ddof=1)
    rows = {}
    for s in np.unique(labels):
        inside = labels == s
        diff = np.nanmean(X[inside], axis=0) - (np.nanmean(X[~inside], axis=0) if (~inside).any() else 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            rows[int(s)] = np.where(sd > 0, diff / sd, 0.0)
    out = pd.DataFrame.from_dict(rows, orient="index", columns=features)
    out.index.name = "segment"
    return out


def profile_long(df: pd.DataFrame, labels: np.ndarray, features: list[str]) -> pd.DataFrame:
    """One row per (segment, feature): mean, median, standard deviation and z."""
    frame = df[features].assign(segment=labels)
    g = frame.groupby("segment")
    stats = pd.concat({"mean": g.mean(), "median": g.median(), "sd": g.std(ddof=1)}, axis=1)
    stats = stats.stack(level=1, future_stack=True).rename_axis(["segment", "feature"]).reset_index()
    z = zscore_table(df, labels, features).stack().rename("z").rename_axis(["segment", "feature"]).reset_index()
    return stats.merge(z, on=["segment", "feature"])


def value_tiers(revenue: np.ndarray, labels: np.ndarray) -> dict[int, str]:
    """Tier per segment from where its median household falls among all households' revenue tertiles."""
    lo, hi = np.nanquantile(revenue, [1 / 3, 2 / 3])
    tiers = {}
    for s in np.unique(labels):
        med = float(np.nanmedian(revenue[labels == s]))
        tiers[int(s)] = "High" if med >= hi else ("Low" if med < lo else "Medium")
    return tiers


def dominant_factors(W: np.ndarray, labels: np.ndarray, factor_names: list[str]) -> pd.DataFrame:
    """Per segment: the factor with the largest lift over its all-household mean, and that lift."""
    overall = W.mean(axis=0)
    rows = []
    for s in np.unique(labels):
        lift = W[labels == s].mean(axis=0) / np.where(overall > 0, overall, 1.0)
        j = int(np.argmax(lift))
        rows.append({"segment": int(s), "dominant_factor": factor_names[j], "dominant_lift": float(lift[j])})
    return pd.DataFrame(rows)


def segment_summary(df: pd.DataFrame, labels: np.ndarray, W: np.ndarray, factor_names: list[str],
                    revenue_feature: str) -> pd.DataFrame:
    """One row per segment: size, share, revenue share, mean/median revenue, tier, dominant factor."""
    if revenue_feature not in df.columns:
        raise SegtargetError(
            f"config 'segments.revenue_feature' = {revenue_feature!r} is not a column of the feature table; "
            "name a spend column such as monetary_sales")
    revenue = df[revenue_feature].to_numpy(dtype=float)
    total = np.nansum(revenue)
    tiers = value_tiers(revenue, labels)
    rows = []
    for s in np.unique(labels):
        inside = labels == s
        rows.append({
            "segment": int(s), "n": int(inside.sum()), "share": float(inside.mean()),
            "revenue_share": float(np.nansum(revenue[inside]) / total) if total > 0 else np.nan,
            "revenue_mean": float(np.nanmean(revenue[inside])),
            "revenue_median": float(np.nanmedian(revenue[inside])), "value_tier": tiers[int(s)],
        })
    return pd.DataFrame(rows).merge(dominant_factors(W, labels, factor_names), on="segment")


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (NaN stay NaN)."""
    out = np.full_like(p, np.nan, dtype=float)
    ok = np.flatnonzero(~np.isnan(p))
    order = ok[np.argsort(p[ok])]
    m = len(order)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def anova_table(df: pd.DataFrame, labels: np.ndarray, features: list[str], alpha: float = 0.05) -> pd.DataFrame:
    """One-way ANOVA per feature across segments: F, p, Holm-adjusted p, eta^2."""
    from scipy.stats import f_oneway

    rows = []
    groups = np.unique(labels)
    for f in features:
        x = df[f].to_numpy(dtype=float)
        keep = ~np.isnan(x)
        parts = [x[keep & (labels == s)] for s in groups]
        ss_tot = float(((x[keep] - x[keep].mean()) ** 2).sum())
        ss_between = float(sum(len(p) * (p.mean() - x[keep].mean()) ** 2 for p in parts if len(p)))
        if ss_tot == 0 or sum(len(p) > 0 for p in parts) < 2:
            F, p = np.nan, np.nan
        else:
            F, p = f_oneway(*[p for p in parts if len(p)])
        rows.append({"feature": f, "F": float(F), "p": float(p), "eta2": ss_between / ss_tot if ss_tot else np.nan})
    out = pd.DataFrame(rows)
    out["p_holm"] = _holm(out["p"].to_numpy())
    out["significant"] = out["p_holm"] < alpha
    return out.sort_values("F", ascending=False, na_position="last", ignore_index=True)
