"""A marketing playbook per segment (objective, offer type, channel, KPI) from written-down rules.

This is the Track 1 playbook (who the segments are and what to try), not evidence that a campaign works
on them: Track 2 estimates that. Rules, first match wins, on the value tier (``profiles.py``) and the
profile z-scores:

| condition | strategy | objective | offer type | channel | KPI | priority |
|---|---|---|---|---|---|---|
| recency z >= 1.0 (lapsing) | Win-back | bring the household back before it is lost | comeback coupon on past favourites | direct mail + email | reactivation rate (a purchase within 8 weeks) | Medium if tier High/Medium, else Low |
| tier High, purchase_regularity z >= 0.5 | Retention | keep the best customers and their share of wallet | loyalty points, exclusive early access (no blanket discounts) | app / email, personalised | retention rate, spend per household | High |
| tier High | Strengthen | turn high spend into a regular habit | basket-expansion and next-visit offers | app / email, personalised | visits per month, spend per household | High |
| tier Medium, regularity z >= 0 | Upgrade | grow basket and categories | cross-category bundle | email + weekly circular | spend per household, categories per basket | Medium |
| tier Medium | Engage | more regular visits | weekly specials in favourite categories | weekly circular + email | visits per month | Medium |
| tier Low | Activate | first habits at low cost | threshold coupon (spend $X, save $Y) | in-store + weekly circular | visits per month, coupon redemption rate | Low |

The offer is tuned by the behaviour that sets the segment apart (its name's behaviour word, ``naming.py``):
``FOCUS_ACTIONS`` adds one action for it. Segments whose bootstrap Jaccard is below the stability bar
are marked ``tentative``: plan tests on them, not programmes.
"""

from __future__ import annotations

import pandas as pd

from .naming import FOCUS_Z, _behaviours

LAPSING_Z = 1.0  # recency z from which a segment is treated as lapsing
REGULAR_Z = 0.5  # purchase_regularity z from which a high-value segment is treated as loyal

PLAYS: dict[str, tuple[str, str, str, str]] = {  # strategy -> objective, offer type, channel, KPI
    "Win-back": ("bring the household back before it is lost", "comeback coupon on past favourites",
                 "direct mail + email", "reactivation rate (a purchase within 8 weeks)"),
    "Retention": ("keep the best customers and their share of wallet",
                  "loyalty points, exclusive early access (no blanket discounts)", "app / email, personalised",
                  "retention rate, spend per household"),
    "Strengthen": ("turn high spend into a regular habit", "basket-expansion and next-visit offers",
                   "app / email, personalised", "visits per month, spend per household"),
    "Upgrade": ("grow basket and categories", "cross-category bundle", "email + weekly circular",
                "spend per household, categories per basket"),
    "Engage": ("more regular visits", "weekly specials in favourite categories", "weekly circular + email",
               "visits per month"),
    "Activate": ("first habits at low cost", "threshold coupon (spend $X, save $Y)", "in-store + weekly circular",
                 "visits per month, coupon redemption rate"),
}

FOCUS_ACTIONS: dict[str, str] = {
    "Fresh": "fresh recipes and daily specials", "Pantry": "pantry stock-up deals", "Bakery": "bakery promotions",
    "H&B": "health & beauty offers", "Drinks": "beverage pairing offers", "Non-Food": "non-food promotions",
    "Big-Basket": "multi-buy bundles", "Small-Basket": "add-on offers at checkout",
    "Deal-Seeker": "targeted price promotions", "Coupon-User": "digital coupons",
    "Private-Label": "private-label promotions", "National-Brand": "brand partner offers",
    "Frequent": "frequency rewards", "Occasional": "next-visit incentive", "Explorer": "new-product trials",
    "Narrow-Range": "new-category discovery", "Regular": "subscription or scheduled delivery",
    "Irregular": "reminder before the usual gap ends", "Lapsing": "reminder of past favourites",
    "Recent": "welcome-back series",
}

PRIORITY_ORDER = {"High": 0, "Medium": 1, "Low": 2}


def _rule(tier: str, z: pd.Series) -> tuple[str, str, str]:
    def get(col: str) -> float:
        return float(z.get(col, 0.0))

    if get("recency") >= LAPSING_Z:
        return "Win-back", ("Low" if tier == "Low" else "Medium"), f"recency z={get('recency'):+.2f} >= {LAPSING_Z}"
    if tier == "High" and get("purchase_regularity") >= REGULAR_Z:
        return "Retention", "High", f"tier High and purchase_regularity z={get('purchase_regularity'):+.2f} >= {REGULAR_Z}"
    if tier == "High":
        return "Strengthen", "High", "tier High"
    if tier == "Medium" and get("purchase_regularity") >= 0:
        return "Upgrade", "Medium", f"tier Medium and purchase_regularity z={get('purchase_regularity'):+.2f} >= 0"
    if tier == "Medium":
        return "Engage", "Medium", "tier Medium"
    return "Activate", "Low", f"tier {tier}"


def strategy_table(summary: pd.DataFrame, zscores: pd.DataFrame, names: pd.DataFrame,
                   tentative: set[int] | None = None) -> pd.DataFrame:
    """One row per segment: name, tier, priority, strategy, objective, offer_type, channel, kpi, key_actions,
    rule, tentative, share, revenue_share; ordered by priority then revenue share."""
    name_of = dict(zip(names["segment"], names["name"]))
    rows = []
    for _, s in summary.iterrows():
        z = zscores.loc[s["segment"]]
        strategy, priority, why = _rule(s["value_tier"], z)
        objective, offer, channel, kpi = PLAYS[strategy]
        beh = _behaviours(z)
        actions = offer + (f"; {FOCUS_ACTIONS[beh[0][0]]}" if beh and abs(beh[0][2]) >= FOCUS_Z else "")
        rows.append({"segment": int(s["segment"]), "name": name_of[s["segment"]], "value_tier": s["value_tier"],
                     "priority": priority, "strategy": strategy, "objective": objective, "offer_type": offer,
                     "channel": channel, "kpi": kpi, "key_actions": actions, "rule": why,
                     "tentative": int(s["segment"]) in (tentative or set()),
                     "share": s["share"], "revenue_share": s["revenue_share"]})
    out = pd.DataFrame(rows)
    out["_p"] = out["priority"].map(PRIORITY_ORDER)
    return out.sort_values(["_p", "revenue_share"], ascending=[True, False]).drop(columns="_p").reset_index(drop=True)
