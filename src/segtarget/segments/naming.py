"""Deterministic names for factors and segments, each with the reason a reader can check.

Factor names: the themes (``THEMES``) of the two features with the largest loadings, e.g. "Grocery/Deal".

Segment names = value tier x the behaviour that sets the segment apart, from the profile (``profiles.py``):

1. Value word from the segment's value tier (revenue tertiles of all households): "High-Value",
   "Mid-Value", "Low-Value".
2. Behaviour word: among ``BEHAVIOURS`` (recency, regularity, frequency, range, basket size, deal,
   coupon and private-label use, category shares; not spend, which the tier already says) the feature
   with the largest |z| >= ``FOCUS_Z`` that has a word for its direction ("Lapsing" for recency z > 0,
   "Recent" for z < 0, "Explorer" for many distinct products, ...); "Mainstream" if none does.
3. Name = "<value> <behaviour>", e.g. "High-Value Explorer", "Low-Value Lapsing". Names are unique:
   segments that share a name get their next behaviour word ("Mid-Value Regular & Fresh"), and a
   remaining tie gets the segment number. The reason column says which tier and which z produced it.

Overrides (config ``segments.names`` "ID=Name" and/or a CSV with columns segment,name) replace the
automatic name; ID is the segment number or the automatic name. The reason column records the override.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SegtargetError

FOCUS_Z = 0.4  # smallest |z| (household sds between the segment and the rest) that counts as a trait

#: Short theme word per feature (used for factor names and segment focus words).
THEMES: dict[str, str] = {
    "recency": "Lapsing", "recency_weeks": "Lapsing", "days_between_purchases_avg": "Infrequent",
    "days_between_purchases_std": "Irregular", "active_last_4w": "Active", "active_last_12w": "Active",
    "frequency": "Heavy", "frequency_per_week": "Heavy", "frequency_per_month": "Heavy",
    "transaction_count": "Heavy", "weeks_with_purchase": "Regular", "purchase_regularity": "Regular",
    "week_coverage": "Regular", "monetary_sales": "High-Spend", "monetary_actual": "High-Spend",
    "monetary_per_week": "High-Spend", "monetary_avg_basket_sales": "Bulk",
    "monetary_avg_basket_actual": "Bulk", "monetary_std": "Bulk", "avg_items_per_basket": "Many-Item",
    "avg_products_per_basket": "Bulk", "coupon_savings_ratio": "Coupon", "discount_rate": "Deal",
    "discount_usage_pct": "Deal", "private_label_ratio": "Private-Label", "n_departments": "Explorer",
    "n_products": "Explorer", "share_grocery": "Grocery", "share_fresh": "Fresh", "share_bakery": "Bakery",
    "share_health_beauty": "H&B", "share_alcohol": "Alcohol", "share_other": "Non-Food",
}

def theme(feature: str) -> str:
    return THEMES.get(feature, feature.replace("_", " ").title())


def factor_names(H: np.ndarray, features: tuple[str, ...]) -> pd.DataFrame:
    """One row per factor: label ("F1".."Fk"), name from its two strongest distinct themes, top loadings."""
    rows = []
    for j, h in enumerate(H):
        order = np.argsort(-h, kind="stable")
        themes: list[str] = []
        for i in order:
            if h[i] > 0 and theme(features[i]) not in themes:
                themes.append(theme(features[i]))
            if len(themes) == 2:
                break
        top = ", ".join(f"{features[i]} {h[i]:.2f}" for i in order[:4] if h[i] > 0)
        rows.append({"factor": f"F{j + 1}", "name": "/".join(themes) or "Empty",
                     "top_loadings": top, "top_feature": features[int(order[0])]})
    return pd.DataFrame(rows)


TIER_WORDS = {"High": "High-Value", "Medium": "Mid-Value", "Low": "Low-Value"}

#: Behaviour feature -> (word when the segment is above the rest, word when below; None = not a trait).
BEHAVIOURS: dict[str, tuple[str | None, str | None]] = {
    "recency": ("Lapsing", "Recent"), "purchase_regularity": ("Regular", "Irregular"),
    "frequency": ("Frequent", "Occasional"), "n_products": ("Explorer", "Narrow-Range"),
    "n_departments": ("Explorer", "Narrow-Range"), "monetary_avg_basket_sales": ("Big-Basket", "Small-Basket"),
    "avg_items_per_basket": ("Big-Basket", "Small-Basket"), "discount_usage_pct": ("Deal-Seeker", "Full-Price"),
    "coupon_savings_ratio": ("Coupon-User", None), "private_label_ratio": ("Private-Label", "National-Brand"),
    "share_fresh": ("Fresh", None), "share_grocery": ("Pantry", None), "share_bakery": ("Bakery", None),
    "share_health_beauty": ("H&B", None), "share_alcohol": ("Drinks", None), "share_other": ("Non-Food", None),
}


def _behaviours(z: pd.Series) -> list[tuple[str, str, float]]:
    """(word, feature, z) for every behaviour with |z| >= FOCUS_Z and a word, strongest first, words unique."""
    cand = [(abs(float(z[f])), f) for f in BEHAVIOURS if f in z.index and not np.isnan(z[f])]
    out, seen = [], set()
    for size, f in sorted(cand, key=lambda t: -t[0]):
        if size < FOCUS_Z:
            break
        word = BEHAVIOURS[f][0 if z[f] > 0 else 1]
        if word and word not in seen:
            seen.add(word)
            out.append((word, f, float(z[f])))
    return out


def _compose(value: str, words: list[str], depth: int) -> str:
    return f"{value} {' & '.join(words[: depth + 1])}"


def automatic_names(z: pd.DataFrame, summary: pd.DataFrame, revenue: str) -> pd.DataFrame:
    """segment, auto_name, reason for every segment (rules in the module docstring)."""
    info = summary.set_index("segment")
    parts = {}
    for s, row in z.iterrows():
        tier = str(info.loc[s, "value_tier"])
        value = TIER_WORDS.get(tier, tier)
        beh = _behaviours(row)
        words = [b[0] for b in beh] or ["Mainstream"]
        why_b = (f"sets it apart: {beh[0][1]} z={beh[0][2]:+.2f} -> '{beh[0][0]}'" if beh else
                 f"no behaviour differs by |z| >= {FOCUS_Z:.1f} -> 'Mainstream'")
        why_v = (f"value tier {tier} (median {revenue} {float(info.loc[s, 'revenue_median']):,.0f}, "
                 f"{float(info.loc[s, 'revenue_share']):.0%} of revenue) -> '{value}'")
        parts[s] = (value, words, f"{why_v}; {why_b}")
    depth = {s: 0 for s in parts}
    names = {s: _compose(v, w, 0) for s, (v, w, _) in parts.items()}
    for _ in range(3):  # widen clashing names by one behaviour word at a time
        clash = pd.Series(names).duplicated(keep=False)
        if not clash.any():
            break
        for s in clash[clash].index:
            v, w, _ = parts[s]
            if depth[s] + 1 < len(w):
                depth[s] += 1
                names[s] = _compose(v, w, depth[s])
    clash = pd.Series(names).duplicated(keep=False)
    for s in clash[clash].index:
        names[s] = f"{names[s]} ({s})"
    return pd.DataFrame([{"segment": int(s), "auto_name": names[s], "reason": parts[s][2]} for s in parts])


def parse_overrides(names: tuple[str, ...] = (), names_file: str = "") -> dict[str, str]:
    """Override map key -> name from "ID=Name" strings and an optional CSV (segment,name)."""
    out: dict[str, str] = {}
    for item in names:
        if "=" not in item or not item.split("=", 1)[1].strip():
            raise SegtargetError(f"config 'segments.names': {item!r} must look like \"3=Fresh Lovers\"")
        key, name = item.split("=", 1)
        out[key.strip()] = name.strip()
    if names_file:
        path = Path(names_file)
        if not path.is_file():
            raise SegtargetError(f"config 'segments.names_file': {path} not found; give a CSV with columns segment,name")
        table = pd.read_csv(path)
        if not {"segment", "name"} <= set(table.columns):
            raise SegtargetError(f"names file {path}: needs columns 'segment' and 'name'")
        out.update({str(k).strip(): str(v).strip() for k, v in zip(table["segment"], table["name"])})
    return out


def apply_overrides(auto: pd.DataFrame, overrides: dict[str, str]) -> pd.DataFrame:
    """Add the final ``name`` column; overrides win and are noted in the reason."""
    out = auto.copy()
    out["name"] = out["auto_name"]
    known = set(out["segment"].astype(str)) | set(out["auto_name"])
    unknown = [k for k in overrides if k not in known]
    if unknown:
        raise SegtargetError(
            f"segment name override {unknown[0]!r} matches no segment; use a segment number "
            f"(0..{len(out) - 1}) or one of the automatic names")
    for i, row in out.iterrows():
        new = overrides.get(str(row["segment"]), overrides.get(row["auto_name"]))
        if new:
            out.loc[i, "name"] = new
            out.loc[i, "reason"] = f"override of '{row['auto_name']}' from configuration; automatic: {row['reason']}"
    dup = out.loc[out["name"].duplicated(), "name"]
    if len(dup):
        raise SegtargetError(f"segment names must be unique: '{dup.iloc[0]}' is given to more than one segment; "
                             "change segments.names / segments.names_file")
    return out[["segment", "name", "auto_name", "reason"]]
