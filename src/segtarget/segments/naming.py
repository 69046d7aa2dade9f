"""Deterministic names for factors and segments, each with the reason a reader can check.

Factor names: the themes (``THEMES``) of the two features with the largest loadings, e.g. "Grocery/Deal".

Segment names = value word + focus word, from the profile z-scores (standardised mean differences
against all other households, see ``profiles.py``):

1. Value word, first rule that fires: "VIP" if revenue z >= 1.5; "Lapsed" if recency z >= 1.0;
   "Loyal" if purchase_regularity z >= 0.5; "Premium" if revenue z >= 0.75; "Light" if revenue z <= -0.4;
   otherwise none.
2. Focus word: the theme of the feature with the largest z among ``FOCUS`` (category shares, basket
   size, deal and private-label use, frequency, breadth) if that z >= 0.4; otherwise the theme of the
   segment's dominant NMF factor's top loading; otherwise "Mixed".
3. Name = "<value> <focus>", or "<focus> Shoppers" when there is no value word ("VIP Heavy",
   "Lapsed H&B", "Bulk Shoppers"). Two segments with the same name both get their next focus word
   ("Loyal Fresh & Deal"); a remaining tie gets the segment number.

Overrides (config ``segments.names`` "ID=Name" and/or a CSV with columns segment,name) replace the
automatic name; ID is the segment number or the automatic name. The reason column records the override.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SegtargetError

VIP_Z, LAPSED_Z, LOYAL_Z, PREMIUM_Z, LIGHT_Z, FOCUS_Z = 1.5, 1.0, 0.5, 0.75, -0.4, 0.4

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

#: Features that can give a segment its focus word (value and recency are handled by the value word).
FOCUS: tuple[str, ...] = (
    "share_health_beauty", "share_fresh", "share_grocery", "share_bakery", "share_alcohol", "share_other",
    "monetary_avg_basket_sales", "discount_usage_pct", "coupon_savings_ratio", "private_label_ratio",
    "frequency", "n_departments", "n_products",
)


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


def _value_word(z: pd.Series, revenue: str) -> tuple[str, str]:
    def get(col: str) -> float:
        return float(z[col]) if col in z.index else np.nan

    checks = [("VIP", revenue, get(revenue), ">=", VIP_Z), ("Lapsed", "recency", get("recency"), ">=", LAPSED_Z),
              ("Loyal", "purchase_regularity", get("purchase_regularity"), ">=", LOYAL_Z),
              ("Premium", revenue, get(revenue), ">=", PREMIUM_Z), ("Light", revenue, get(revenue), "<=", LIGHT_Z)]
    for word, col, val, op, cut in checks:
        if not np.isnan(val) and (val >= cut if op == ">=" else val <= cut):
            return word, f"{col} z={val:+.2f} {op} {cut:+.2f} -> '{word}'"
    return "", "no value rule fired (revenue, recency, regularity all near the base)"


def _focus_words(z: pd.Series, dominant_theme: str | None) -> tuple[list[str], str]:
    cand = z[[f for f in FOCUS if f in z.index]].sort_values(ascending=False, kind="stable")
    words, first = [], None
    for f, val in cand.items():
        if val < FOCUS_Z:
            break
        if theme(f) not in words:
            words.append(theme(f))
            first = first or (f, val)
    if first is not None:
        return words, f"largest focus lift {first[0]} z={first[1]:+.2f} -> '{words[0]}'"
    if dominant_theme:
        return [dominant_theme], f"no focus feature reached z {FOCUS_Z:+.1f}; dominant factor -> '{dominant_theme}'"
    return ["Mixed"], f"no focus feature reached z {FOCUS_Z:+.1f} -> 'Mixed'"


def _compose(value: str, focus: list[str], depth: int) -> str:
    core = " & ".join(focus[: depth + 1])
    return f"{value} {core}" if value else f"{core} Shoppers"


def automatic_names(z: pd.DataFrame, summary: pd.DataFrame, factors: pd.DataFrame, revenue: str) -> pd.DataFrame:
    """segment, auto_name, reason for every segment (rules in the module docstring)."""
    theme_of = dict(zip(factors["factor"], factors["top_feature"].map(theme)))
    dom = dict(zip(summary["segment"], summary["dominant_factor"]))
    parts = {}
    for s, row in z.iterrows():
        value, why_v = _value_word(row, revenue)
        focus, why_f = _focus_words(row, theme_of.get(dom.get(s)))
        parts[s] = (value, focus, f"{why_v}; {why_f}; dominant factor {dom.get(s)}")
    depth = {s: 0 for s in parts}
    names = {s: _compose(v, f, 0) for s, (v, f, _) in parts.items()}
    for _ in range(3):  # widen clashing names by one focus word at a time
        clash = pd.Series(names).duplicated(keep=False)
        if not clash.any():
            break
        for s in clash[clash].index:
            v, f, _ = parts[s]
            if depth[s] + 1 < len(f):
                depth[s] += 1
                names[s] = _compose(v, f, depth[s])
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
    return out[["segment", "name", "auto_name", "reason"]]
