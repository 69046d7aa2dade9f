"""Household features as one DuckDB query over the canonical views.

The SQL text is generated once per call from the feature dictionary's conventions; the same text is what
the Spark engine transpiles, so there is one definition of every feature.
"""

from __future__ import annotations

from ..data.db import exact_sum
from .definitions import MACRO_CATEGORY


def _macro_case() -> str:
    whens = " ".join(
        f"WHEN p.department IN ({', '.join(repr(d) for d in deps)}) THEN '{name}'"
        for name, deps in MACRO_CATEGORY.items())
    return f"CASE {whens} ELSE 'other' END"


def _ratio(num: str, den: str) -> str:
    return f"CASE WHEN ({den}) = 0 THEN 0 ELSE ({num}) / ({den}) END"


# Money is summed as exact decimals: a parallel floating-point sum depends on the order in which threads
# combine partial sums, so two runs on the same data would differ in the last bits (up to 3e-15 relative)
# and the cache, diffs and audits could not rely on the feature files. DECIMAL(18, 4) keeps sub-cent values
# (planted or user data) to 1/100 cent; each exact aggregate is turned into DOUBLE once, at the end.
def _exact(expr: str) -> str:
    return f"CAST({expr} AS DECIMAL(18, 4))"


def _mean(expr: str) -> str:
    return f"CAST(sum({expr}) AS DOUBLE) / count({expr})"


def _share_num(macro: str) -> str:
    return f"coalesce({exact_sum('sales_value', f'macro = {macro!r}')}, 0)"


def _std(expr: str, *, sample: bool) -> str:
    """Standard deviation from exact sums: (n * sum x^2 - (sum x)^2) / (n (n - ddof)), rounded once."""
    n = f"count({expr})"
    den = f"{n} * ({n} - 1)" if sample else f"{n} * {n}"
    num = f"{n} * sum(({expr}) * ({expr})) - sum({expr}) * sum({expr})"
    return f"CASE WHEN {n} > {int(sample)} THEN sqrt(greatest(CAST({num} AS DOUBLE), 0) / ({den})) END"


PROMOTION_KEYS_SQL = """
CREATE TABLE IF NOT EXISTS promotion_keys AS
SELECT product_id, store_id, week,
       max(CASE WHEN display = 'A' THEN 10 ELSE coalesce(TRY_CAST(display AS INTEGER), 0) END) AS display_code,
       max(CASE WHEN mailer IS NOT NULL AND mailer <> '0' THEN mailer END) AS mailer
FROM raw_promotions
WHERE (product_id, store_id, week) IN (SELECT DISTINCT product_id, store_id, week FROM clean_transactions)
GROUP BY product_id, store_id, week"""


def feature_sql(*, where: str = "TRUE", reference_point: tuple[str, str] | None = None, exposure: bool = False,
                fill_missing: bool = True, source: str = "clean_transactions") -> str:
    """SQL returning one row per household with every core feature (+ exposure ones when asked).

    ``where`` filters lines (window, households); ``reference_point`` is a pair of SQL expressions
    (max_day, max_week); None = the window data's own maxima.

    Distinct counts come from CTEs that are grouped anyway (baskets -> frequency; distinct purchase days
    -> weeks, since week is a function of day; distinct household x product -> products and departments,
    since department is a function of product) instead of COUNT(DISTINCT) over every line: each
    COUNT(DISTINCT) is a hash aggregation over all lines, and these three were ~25% of the time at 10x.
    """
    ref = (f"SELECT {reference_point[0]} AS max_day, {reference_point[1]} AS max_week"
           if reference_point else "SELECT max(day) AS max_day, max(week) AS max_week FROM base")
    fill = (lambda e: f"coalesce({e}, 0)") if fill_missing else (lambda e: e)
    shares = ",\n        ".join(
        f"{_ratio(_share_num(name), exact_sum('sales_value'))} AS share_{name}"
        for name in list(MACRO_CATEGORY) + ["other"])
    exposure_cte = exposure_cols = exposure_join = ""
    if exposure:
        exposure_cte = """,
    expo AS (
        SELECT b.household_id,
               avg(CASE WHEN coalesce(pr.display_code, 0) > 0 THEN 1.0 ELSE 0.0 END) AS display_exposure_rate,
               coalesce(avg(pr.display_code) FILTER (WHERE pr.display_code > 0), 0) AS display_intensity_avg,
               avg(CASE WHEN pr.mailer IS NOT NULL THEN 1.0 ELSE 0.0 END) AS mailer_exposure_rate
        FROM base b LEFT JOIN promotion_keys pr
          ON b.product_id = pr.product_id AND b.store_id = pr.store_id AND b.week = pr.week
        GROUP BY b.household_id)"""
        exposure_cols = ", x.display_exposure_rate, x.display_intensity_avg, x.mailer_exposure_rate"
        exposure_join = "LEFT JOIN expo x USING (household_id)"
    return f"""
    WITH base AS (
        SELECT t.household_id, t.basket_id, t.product_id, t.store_id, t.day, t.week, t.quantity,
               {_exact('t.sales_value')} AS sales_value, {_exact('t.retail_disc')} AS retail_disc,
               {_exact('t.coupon_disc')} AS coupon_disc,
               t.retail_disc > 0 AS any_retail_disc, p.department, p.brand, {_macro_case()} AS macro
        FROM {source} t LEFT JOIN products p ON t.product_id = p.product_id
        WHERE {where}),
    ref AS ({ref}),
    baskets AS (
        SELECT household_id, basket_id, sum(sales_value) AS bs, sum(sales_value - coupon_disc) AS ba
        FROM base GROUP BY household_id, basket_id),
    bstats AS (
        SELECT household_id, count(*) AS frequency, {_mean('bs')} AS avg_bs, {_mean('ba')} AS avg_ba,
               {_std('bs', sample=True)} AS std_bs
        FROM baskets GROUP BY household_id),
    gaps AS (
        SELECT household_id, week, day - lag(day) OVER (PARTITION BY household_id ORDER BY day) AS gap
        FROM (SELECT DISTINCT household_id, day, week FROM base) d),
    gstats AS (
        SELECT household_id, {_mean('gap')} AS gap_avg, {_std('gap', sample=False)} AS gap_std,
               count(DISTINCT week) AS weeks_with_purchase
        FROM gaps GROUP BY household_id),
    pstats AS (
        SELECT household_id, count(*) AS n_products, count(DISTINCT department) AS n_departments
        FROM (SELECT DISTINCT household_id, product_id, department FROM base) hp GROUP BY household_id),
    lines AS (
        SELECT household_id,
            count(*) AS transaction_count,
            min(day) AS first_day, max(day) AS last_day, min(week) AS first_week, max(week) AS last_week,
            {exact_sum('sales_value')} AS monetary_sales, {exact_sum('sales_value - coupon_disc')} AS monetary_actual,
            {exact_sum('coupon_disc')} AS coupon, {exact_sum('retail_disc')} AS retail,
            count(*) FILTER (WHERE any_retail_disc) AS n_retail_disc,
            count(*) FILTER (WHERE brand IN ('Private', 'National')) AS n_branded,
            count(*) FILTER (WHERE brand = 'Private') AS n_private,
            {exact_sum(_exact('quantity'))} AS quantity,
            {shares}
        FROM base GROUP BY household_id),
    agg AS (
        SELECT l.*, s.frequency, g.weeks_with_purchase, p.n_products, p.n_departments
        FROM lines l JOIN bstats s USING (household_id) JOIN gstats g USING (household_id)
        JOIN pstats p USING (household_id)){exposure_cte}
    SELECT a.household_id,
        r.max_day - a.last_day AS recency,
        r.max_week - a.last_week AS recency_weeks,
        CAST(a.last_week >= r.max_week - 4 AS INTEGER) AS active_last_4w,
        CAST(a.last_week >= r.max_week - 12 AS INTEGER) AS active_last_12w,
        {fill('g.gap_avg')} AS days_between_purchases_avg,
        {fill('g.gap_std')} AS days_between_purchases_std,
        a.frequency,
        a.frequency / (r.max_week - a.first_week + 1) AS frequency_per_week,
        a.frequency / (r.max_week - a.first_week + 1) * 4.33 AS frequency_per_month,
        a.transaction_count,
        a.weeks_with_purchase,
        a.weeks_with_purchase / (r.max_week - a.first_week + 1) AS purchase_regularity,
        a.monetary_sales, a.monetary_actual,
        s.avg_bs AS monetary_avg_basket_sales, s.avg_ba AS monetary_avg_basket_actual,
        {fill('s.std_bs')} AS monetary_std,
        a.monetary_sales / (r.max_week - a.first_week + 1) AS monetary_per_week,
        {_ratio('a.coupon', 'a.monetary_sales')} AS coupon_savings_ratio,
        {_ratio('a.retail + a.coupon', 'a.monetary_sales + a.retail + a.coupon')} AS discount_rate,
        {_ratio('a.n_retail_disc', 'a.n_branded')} AS discount_usage_pct,
        {_ratio('a.n_private', 'a.n_branded')} AS private_label_ratio,
        a.n_departments, a.n_products,
        a.quantity / a.frequency AS avg_items_per_basket,
        a.n_products / a.frequency AS avg_products_per_basket,
        a.share_grocery, a.share_fresh, a.share_bakery, a.share_health_beauty, a.share_alcohol, a.share_other,
        a.weeks_with_purchase / (a.last_week - a.first_week + 1) AS week_coverage,
        r.max_day - a.first_day AS tenure,
        r.max_week - a.first_week + 1 AS tenure_weeks{exposure_cols}
    FROM agg a CROSS JOIN ref r
    LEFT JOIN bstats s USING (household_id)
    LEFT JOIN gstats g USING (household_id)
    {exposure_join}
    ORDER BY a.household_id"""
