"""The feature dictionary: every household feature with its group, formula and caveats.

This table is the single source of truth for feature names and order; ``segtarget features --describe``
prints it and the SQL in ``sql.py`` produces exactly these columns. Definitions follow the reference
implementation (reference_spec.md §2.1) so numbers compare; fragile ones say so.

Conventions: lines are clean transaction lines (quantity > 0, sales_value >= 0) inside the window
[start, end); a basket is a distinct basket_id; basket_sales is Σ sales_value within a basket;
actual_spent = sales_value − coupon_disc. ``max_day``/``max_week`` are the reference point: the last day
and week present in the window's data (reference-compatible), or the window's last day when
``reference_point="window_end"`` (used for Track 2 so every unit is measured from the same date).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class FeatureDef:
    name: str
    group: str
    formula: str
    note: str = ""


FEATURES: tuple[FeatureDef, ...] = (
    FeatureDef("recency", "recency", "max_day − household's last purchase day", "depends on the reference point"),
    FeatureDef("recency_weeks", "recency", "max_week − household's last purchase week"),
    FeatureDef("active_last_4w", "recency", "1 if last purchase week ≥ max_week − 4 else 0"),
    FeatureDef("active_last_12w", "recency", "1 if last purchase week ≥ max_week − 12 else 0"),
    FeatureDef("days_between_purchases_avg", "recency", "mean gap between consecutive distinct purchase days",
               "undefined with < 2 purchase days: 0 (reference convention) or NaN with fill='none'"),
    FeatureDef("days_between_purchases_std", "recency", "population std of those gaps",
               "0 with one gap; undefined with < 2 purchase days: 0 or NaN as above"),
    FeatureDef("frequency", "frequency", "number of baskets"),
    FeatureDef("frequency_per_week", "frequency", "frequency / tenure_weeks", "r≈1 with frequency over a full year"),
    FeatureDef("frequency_per_month", "frequency", "frequency / tenure_weeks × 4.33"),
    FeatureDef("transaction_count", "frequency", "number of lines"),
    FeatureDef("weeks_with_purchase", "frequency", "number of distinct purchase weeks"),
    FeatureDef("purchase_regularity", "frequency", "weeks_with_purchase / tenure_weeks"),
    FeatureDef("monetary_sales", "monetary", "Σ sales_value"),
    FeatureDef("monetary_actual", "monetary", "Σ (sales_value − coupon_disc)"),
    FeatureDef("monetary_avg_basket_sales", "monetary", "mean basket_sales"),
    FeatureDef("monetary_avg_basket_actual", "monetary", "mean basket Σ actual_spent"),
    FeatureDef("monetary_std", "monetary", "sample std (ddof 1) of basket_sales",
               "undefined with 1 basket: 0 (reference convention) or NaN with fill='none'"),
    FeatureDef("monetary_per_week", "monetary", "monetary_sales / tenure_weeks"),
    FeatureDef("coupon_savings_ratio", "monetary", "Σ coupon_disc / Σ sales_value", "0 when Σ sales_value = 0"),
    FeatureDef("discount_rate", "behavioural",
               "(Σ retail_disc + Σ coupon_disc) / (Σ sales_value + Σ retail_disc + Σ coupon_disc)",
               "coupon_match_disc ignored, as in the reference"),
    FeatureDef("discount_usage_pct", "behavioural",
               "#lines with retail_disc > 0 / #lines whose product brand is Private or National",
               "numerator counts all lines, denominator only lines with a known brand (reference definition)"),
    FeatureDef("private_label_ratio", "behavioural", "#Private lines / (#Private + #National lines)"),
    FeatureDef("n_departments", "behavioural", "distinct departments (32 departments of the one-year release)"),
    FeatureDef("n_products", "behavioural", "distinct product_id"),
    FeatureDef("avg_items_per_basket", "behavioural", "Σ quantity / frequency",
               "fragile: fuel and gift-card lines carry quantities in the thousands and dominate it"),
    FeatureDef("avg_products_per_basket", "behavioural", "n_products / frequency"),
    FeatureDef("share_grocery", "category", "Σ sales_value in Grocery departments / Σ sales_value",
               "GROCERY, FROZEN GROCERY (GRO BAKERY merged into GROCERY)"),
    FeatureDef("share_fresh", "category", "sales share of Fresh departments",
               "PRODUCE, MEAT, MEAT-PCKGD, SEAFOOD(-PCKGD), DELI, CHEF SHOPPE, SALAD BAR"),
    FeatureDef("share_bakery", "category", "sales share of PASTRY", "bread sits in GROCERY"),
    FeatureDef("share_health_beauty", "category", "sales share of DRUG GM, NUTRITION, COSMETICS",
               "NUTRITION is mostly food; kept for comparability"),
    FeatureDef("share_alcohol", "category", "sales share of SPIRITS", "beer and wine sit in GROCERY"),
    FeatureDef("share_other", "category", "sales share of every other department or unknown product",
               "dominated by FUEL and MISCELLANEOUS"),
    FeatureDef("week_coverage", "time", "weeks_with_purchase / (last purchase week − first purchase week + 1)"),
)

EXPOSURE_FEATURES: tuple[FeatureDef, ...] = (
    FeatureDef("display_exposure_rate", "exposure",
               "share of lines whose (product, store, week) had an in-store display (code ≠ 0)",
               "promotions de-duplicated per key; missing key = not on display"),
    FeatureDef("display_intensity_avg", "exposure", "mean display code among displayed lines (A = 10)",
               "0 when no line was on display"),
    FeatureDef("mailer_exposure_rate", "exposure", "share of lines whose (product, store, week) was in a mailer"),
)

AUXILIARY: tuple[FeatureDef, ...] = (
    FeatureDef("tenure", "auxiliary", "max_day − first purchase day"),
    FeatureDef("tenure_weeks", "auxiliary", "max_week − first purchase week + 1"),
)

FEATURE_NAMES = tuple(f.name for f in FEATURES)
EXPOSURE_NAMES = tuple(f.name for f in EXPOSURE_FEATURES)

# The 19 features the reference fed to NMF (reference_spec.md §2.2).
REDUCED_FEATURES = (
    "recency", "days_between_purchases_avg", "frequency", "frequency_per_week", "purchase_regularity",
    "monetary_sales", "monetary_avg_basket_sales", "monetary_std", "coupon_savings_ratio",
    "discount_usage_pct", "private_label_ratio", "n_departments", "n_products", "avg_items_per_basket",
    "share_grocery", "share_fresh", "share_bakery", "share_health_beauty", "share_alcohol",
)

# Department -> macro category (data_mapping.md §5.3); anything else -> other.
MACRO_CATEGORY = {
    "grocery": ("GROCERY", "FROZEN GROCERY", "GRO BAKERY"),
    "fresh": ("PRODUCE", "MEAT", "MEAT-PCKGD", "MEAT-WHSE", "PORK", "SEAFOOD", "SEAFOOD-PCKGD", "DELI",
              "DELI/SNACK BAR", "DAIRY DELI", "CHEF SHOPPE", "SALAD BAR"),
    "bakery": ("PASTRY",),
    "health_beauty": ("DRUG GM", "NUTRITION", "COSMETICS", "RX", "PHARMACY SUPPLY", "HBC"),
    "alcohol": ("SPIRITS",),
}


def describe() -> pd.DataFrame:
    """The feature dictionary as a table (name, group, formula, note)."""
    rows = [f.__dict__ | {"set": "core"} for f in FEATURES]
    rows += [f.__dict__ | {"set": "exposure"} for f in EXPOSURE_FEATURES]
    rows += [f.__dict__ | {"set": "auxiliary"} for f in AUXILIARY]
    df = pd.DataFrame(rows)[["name", "group", "set", "formula", "note"]]
    df["in_reduced_19"] = df["name"].isin(REDUCED_FEATURES)
    return df
