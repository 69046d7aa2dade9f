"""Figures describing the segments: sizes, factor scores, profile heatmap, and the bubble charts A-H.

Bubble charts (reference_spec.md §2.7): x = segment mean of one quantity, y = segment mean of another,
bubble area proportional to the segment's share of households, dashed lines at the mean of the segment
means. A-C use factor scores, picked by content rather than by number, because factor numbering is
arbitrary: the factor whose scaled loadings weigh most on the listed features.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..plotting import pyplot

#: (key, title, x, y); a tuple of features means "the factor that loads most on these features".
BUBBLES: tuple[tuple[str, str, object, object], ...] = (
    ("a", "loyal_vs_deal", ("purchase_regularity", "frequency", "frequency_per_week"),
     ("share_grocery", "discount_usage_pct", "private_label_ratio")),
    ("b", "loyal_vs_bigbasket", ("purchase_regularity", "frequency", "frequency_per_week"),
     ("monetary_avg_basket_sales", "monetary_std")),
    ("c", "fresh_vs_hb", ("share_fresh",), ("share_health_beauty",)),
    ("d", "frequency_vs_monetary", "frequency", "monetary_sales"),
    ("e", "regularity_vs_basket", "purchase_regularity", "monetary_avg_basket_sales"),
    ("f", "recency_vs_monetary", "monetary_sales", "recency"),
    ("g", "discount_vs_pl", "discount_usage_pct", "private_label_ratio"),
    ("h", "variety_vs_regularity", "purchase_regularity", "n_departments"),
)


def factor_for(H: np.ndarray, features: tuple[str, ...], wanted: tuple[str, ...], exclude: int = -1) -> int | None:
    """Index of the factor whose row-max-scaled loadings sum highest over ``wanted`` (None if none present)."""
    cols = [features.index(f) for f in wanted if f in features]
    if not cols:
        return None
    scaled = H / np.where(H.max(axis=1, keepdims=True) > 0, H.max(axis=1, keepdims=True), 1.0)
    score = scaled[:, cols].sum(axis=1)
    if 0 <= exclude < len(score):
        score[exclude] = -np.inf
    return int(np.argmax(score))


def segment_sizes(summary: pd.DataFrame, names: dict[int, str]):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4))
    labels = [f"{s}: {names[s]}" for s in summary["segment"]]
    bars = ax.barh(labels, summary["n"], color="tab:blue")
    for b, sh, rv in zip(bars, summary["share"], summary["revenue_share"]):
        ax.text(b.get_width(), b.get_y() + b.get_height() / 2, f" {sh:.1%} of households, {rv:.1%} of revenue",
                va="center", fontsize=8)
    ax.axvline(0.05 * summary["n"].sum(), color="grey", ls=":", lw=1)
    ax.invert_yaxis()
    ax.set(title="Segment sizes (dotted line: 5% of households)", xlabel="households",
           xlim=(0, summary["n"].max() * 1.6))
    fig.tight_layout()
    return fig


def factor_scores_by_segment(scores: pd.DataFrame, labels: np.ndarray, factor_names: dict[str, str],
                             names: dict[int, str]):
    """Grouped bars: mean factor score per segment, each factor scaled by its all-household mean (lift)."""
    plt = pyplot()
    cols = list(factor_names)
    lift = scores[cols].groupby(labels).mean() / scores[cols].mean()
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(cols)
    x = np.arange(len(lift))
    for i, c in enumerate(cols):
        ax.bar(x + i * width, lift[c], width, label=f"{c} {factor_names[c]}")
    ax.axhline(1.0, color="grey", lw=1)
    ax.set_xticks(x + width * (len(cols) - 1) / 2, [names[s] for s in lift.index], rotation=20, ha="right", fontsize=8)
    ax.set(title="Mean factor score by segment (1 = all-household mean)", ylabel="lift")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def profile_heatmap(z: pd.DataFrame, features: list[str], names: dict[int, str]):
    plt = pyplot()
    data = z[features].to_numpy()
    fig, ax = plt.subplots(figsize=(max(8, 0.5 * len(features)), 0.5 * len(z) + 2.5))
    lim = max(1.0, float(np.nanmax(np.abs(data))))
    im = ax.imshow(data, aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim)
    ax.set_xticks(range(len(features)), features, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(z)), [f"{s}: {names[s]}" for s in z.index], fontsize=8)
    for (i, j), v in np.ndenumerate(data):
        ax.text(j, i, f"{v:+.1f}", ha="center", va="center", fontsize=6)
    fig.colorbar(im, ax=ax, label="z vs. all other households (household sd units)")
    ax.set_title("Segment profiles: standardised mean difference against the rest")
    fig.tight_layout()
    return fig


def _bubble(ax, x: np.ndarray, y: np.ndarray, share: np.ndarray, names: list[str], xlabel: str, ylabel: str) -> None:
    ax.scatter(x, y, s=4000 * share, alpha=0.5, c=range(len(x)), cmap="tab10", edgecolors="k")
    for xi, yi, n in zip(x, y, names):
        ax.annotate(n, (xi, yi), fontsize=7, ha="center", va="center")
    ax.axvline(np.mean(x), color="grey", ls="--", lw=1)
    ax.axhline(np.mean(y), color="grey", ls="--", lw=1)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.margins(0.2)


def bubble_charts(df: pd.DataFrame, labels: np.ndarray, scores: pd.DataFrame, H: np.ndarray,
                  features: tuple[str, ...], factor_names: dict[str, str], names: dict[int, str]):
    """One figure with panels A-H (``BUBBLES``); a panel whose inputs are missing says so instead."""
    plt = pyplot()
    segs = np.unique(labels)
    share = np.array([(labels == s).mean() for s in segs])
    seg_names = [names[s] for s in segs]
    fcols = list(factor_names)
    fig, axes = plt.subplots(2, 4, figsize=(22, 10))
    for ax, (key, title, xs, ys) in zip(axes.flat, BUBBLES):
        ax.set_title(f"{key.upper()}: {title.replace('_', ' ')}", fontsize=10)
        if isinstance(xs, tuple):
            fx = factor_for(H, features, xs)
            fy = factor_for(H, features, ys, exclude=-1 if fx is None else fx)
            if fx is None or fy is None:
                ax.text(0.5, 0.5, "features not in the factor model", ha="center", transform=ax.transAxes)
                continue
            cx, cy = fcols[fx], fcols[fy]
            x, y = scores[cx].groupby(labels).mean().to_numpy(), scores[cy].groupby(labels).mean().to_numpy()
            xl, yl = f"{cx} {factor_names[cx]} (mean score)", f"{cy} {factor_names[cy]} (mean score)"
        else:
            if xs not in df.columns or ys not in df.columns:
                ax.text(0.5, 0.5, f"needs {xs} and {ys}", ha="center", transform=ax.transAxes)
                continue
            x, y = df[xs].groupby(labels).mean().to_numpy(), df[ys].groupby(labels).mean().to_numpy()
            xl, yl = f"{xs} (segment mean)", f"{ys} (segment mean)"
        _bubble(ax, x, y, share, seg_names, xl, yl)
    fig.suptitle("Segment bubble charts A–H (area = share of households; dashed = mean of segment means)")
    fig.tight_layout()
    return fig
