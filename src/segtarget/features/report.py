"""Report sections for the data overview, the data-quality table and the household features."""

from __future__ import annotations

import pandas as pd

from ..plotting import pyplot
from ..io import OutputDir
from ..report.section import Figure, Section, Table, Text
from .definitions import FEATURE_NAMES, REDUCED_FEATURES, describe


def feature_summary(feats: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in feats.columns if c != "household_id"]
    d = feats[cols].describe(percentiles=[0.05, 0.5, 0.95]).T
    d.insert(0, "feature", d.index)
    d["missing"] = feats[cols].isna().sum().to_numpy()
    return d.rename(columns={"5%": "p05", "50%": "median", "95%": "p95"}).reset_index(drop=True)


def _distribution_figure(feats: pd.DataFrame):
    plt = pyplot()
    import numpy as np

    cols = list(REDUCED_FEATURES)
    fig, axes = plt.subplots(4, 5, figsize=(15, 10))
    for ax, col in zip(axes.flat, cols):
        x = feats[col].to_numpy(dtype=float)
        hi = np.nanpercentile(x, 99)
        ax.hist(np.clip(x, None, hi), bins=40, color="#4C72B0")
        ax.set_title(col, fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(cols):]:
        ax.axis("off")
    fig.suptitle("Household features (19 used for segmentation; clipped at the 99th percentile)")
    fig.tight_layout()
    return fig


def data_sections(feats: pd.DataFrame, out: OutputDir, *, tables) -> list[Section]:
    """The data overview and quality of ``tables`` (the loaded source) and the summary of the household features."""
    overview = tables.overview()
    overview.insert(0, "source", tables.source)
    quality = tables.quality
    summary = feature_summary(feats)
    dictionary = describe()
    data = Section(
        key="data", title="Data overview and quality",
        method_note=("Transactions are mapped to one canonical model (local dates; discounts as positive amounts). "
                     "Lines with quantity ≤ 0 or negative sales are dropped before any feature is computed; "
                     "every dropped, repaired or suspicious row is counted below."),
        blocks=[Table("overview", overview, "What was analysed", out.table("data_overview", overview)),
                Table("quality", quality, "Data-quality checks (rows affected and what was done)",
                      out.table("data_quality", quality))],
    )
    feat = Section(
        key="features", title="Household features",
        method_note=(f"{len(FEATURE_NAMES)} behavioural features per household over the whole period, computed "
                     "in one SQL query, on DuckDB or on Spark with data.engine = spark (definitions in the "
                     "feature dictionary, "
                     "segtarget features --describe). They match the reference implementation's "
                     "values exactly on the embedded data."),
        blocks=[Table("feature_summary", summary, "Distribution of every feature", out.table("feature_summary", summary),
                      max_rows=40),
                Figure("feature_distributions", out.figure("feature_distributions", _distribution_figure(feats)),
                       "Distributions of the 19 segmentation features"),
                Table("feature_dictionary", dictionary, "Feature dictionary", out.table("feature_dictionary", dictionary),
                      max_rows=40)],
    )
    n_missing = int(quality.loc[quality["check"] == "product_id not in products", "rows"].sum()) if len(quality) else 0
    if n_missing:
        feat.blocks.append(Text(f"<p>{n_missing:,} lines refer to products missing from the product table; "
                                "they count as category 'other' with no brand.</p>"))
    return [data, feat]
