"""A descriptive marketing-strategy table per segment, from written-down rules on value and behaviour.

This is the Track 1 playbook (who the segments are and what to try), not evidence that a campaign works
on them: Track 2 estimates that. Rules, first match wins, using the value tier (``profiles.py``) and the
profile z-scores:

| condition | strategy | priority |
|---|---|---|
| recency z >= 1.0 (lapsing) | Win-back | Medium if tier High, else Low |
| tier High and revenue z >= 1.5 | Retention | High |
| tier High | Strengthen | High |
| tier Medium and purchase_regularity z >= 0 | Upgrade | Medium |
| tier Medium and monetary_avg_basket_sales z >= 0.5 | Regularize | Medium |
| tier Medium | Engage | Medium |
| tier Low | Activate | Low |

Key actions = the strategy's base actions plus one action for the segment's focus (its largest positive
z among the focus features of ``naming.py``, if >= 0.4).
"""

from __future__ import annotations

import pandas as pd

from .naming import FOCUS, FOCUS_Z, LAPSED_Z, VIP_Z

BASE_ACTIONS: dict[str, str] = {
    "Win-back": "re-engagement offer, reminder of past favourites",
    "Retention": "premium benefits, churn early-warning, exclusive access",
    "Strengthen": "loyalty points, basket-expansion offers",
    "Upgrade": "cross-category incentives, path to top tier",
    "Regularize": "subscription or scheduled delivery, bundles",
    "Engage": "content and weekly specials in favourite categories",
    "Activate": "habit-building campaign, progressive rewards",
}

FOCUS_ACTIONS: dict[str, str] = {
    "share_health_beauty": "health & beauty offers", "share_fresh": "fresh recipes and daily specials",
    "share_grocery": "pantry stock-up deals", "share_bakery": "bakery promotions",
    "share_alcohol": "beverage pairing offers", "share_other": "non-food promotions",
    "monetary_avg_basket_sales": "multi-buy bundles", "discount_usage_pct": "targeted price promotions",
    "coupon_savings_ratio": "digital coupons", "private_label_ratio": "private-label promotions",
    "frequency": "frequency rewards", "n_departments": "new-category discovery", "n_products": "new-product trials",
}

PRIORITY_ORDER = {"High": 0, "Medium": 1, "Low": 2}


def _rule(tier: str, z: pd.Series, revenue: str) -> tuple[str, str, str]:
    def get(col: str) -> float:
        return float(z.get(col, 0.0))

    if get("recency") >= LAPSED_Z:
        return "Win-back", ("Medium" if tier == "High" else "Low"), f"recency z={get('recency'):+.2f} >= {LAPSED_Z}"
    if tier == "High" and get(revenue) >= VIP_Z:
        return "Retention", "High", f"tier High and {revenue} z={get(revenue):+.2f} >= {VIP_Z}"
    if tier == "High":
        return "Strengthen", "High", "tier High"
    if tier == "Medium" and get("purchase_regularity") >= 0:
        return "Upgrade", "Medium", f"tier Medium and purchase_regularity z={get('purchase_regularity'):+.2f} >= 0"
    if tier == "Medium" and get("monetary_avg_basket_sales") >= 0.5:
        return "Regularize", "Medium", f"tier Medium and basket size z={get('monetary_avg_basket_sales'):+.2f} >= 0.5"
    if tier == "Medium":
        return "Engage", "Medium", "tier Medium"
    return "Activate", "Low", f"tier {tier}"


def strategy_table(summary: pd.DataFrame, zscores: pd.DataFrame, names: pd.DataFrame, revenue: str) -> pd.DataFrame:
    """segment, name, value_tier, priority, strategy, key_actions, rule; ordered by priority then revenue."""
    name_of = dict(zip(names["segment"], names["name"]))
    rows = []
    for _, s in summary.iterrows():
        z = zscores.loc[s["segment"]]
        strategy, priority, why = _rule(s["value_tier"], z, revenue)
        focus = z[[f for f in FOCUS if f in z.index]].sort_values(ascending=False, kind="stable")
        actions = BASE_ACTIONS[strategy]
        if len(focus) and focus.iloc[0] >= FOCUS_Z:
            actions += f", {FOCUS_ACTIONS[focus.index[0]]}"
        rows.append({"segment": int(s["segment"]), "name": name_of[s["segment"]], "value_tier": s["value_tier"],
                     "priority": priority, "strategy": strategy, "key_actions": actions, "rule": why,
                     "share": s["share"], "revenue_share": s["revenue_share"]})
    out = pd.DataFrame(rows)
    out["_p"] = out["priority"].map(PRIORITY_ORDER)
    return out.sort_values(["_p", "revenue_share"], ascending=[True, False]).drop(columns="_p").reset_index(drop=True)
