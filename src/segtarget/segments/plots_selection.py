"""Figures for choosing the ranks and judging stability (matplotlib, Agg backend)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..plotting import pyplot


def _mark(ax, k: int) -> None:
    ax.axvline(k, color="tab:red", ls="--", lw=1)


def factor_selection(scan: pd.DataFrame, chosen: int, r2_target: float):
    """2x2: reconstruction error; flattened EV vs per-feature R^2 (in-sample, held-out +- 1.96 SE); sparsity."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    k = scan["k"]
    ax = axes[0, 0]
    ax.plot(k, scan["reconstruction_error"], "o-")
    ax.set(title="Reconstruction error ||X - WH||_F", xlabel="k")
    ax = axes[0, 1]
    ax.plot(k, scan["explained_variance_flat"], "o-", label="flattened variance (reference)")
    ax.plot(k, scan["r2_in_sample"], "s-", label="mean per-feature R² (in sample)")
    ax.errorbar(k, scan["r2_heldout"], yerr=1.96 * scan["r2_heldout_se"].fillna(0), fmt="^-", capsize=3,
                label="mean per-feature R² (held-out households)")
    ax.axhline(r2_target, color="grey", ls=":", lw=1)
    ax.set(title="Variance explained: two definitions", xlabel="k", ylim=(0, 1.02))
    ax.legend(fontsize=7, loc="lower right")
    ax = axes[1, 0]
    ax.plot(k, scan["hoyer_W"], "o-", label="W (scores)")
    ax.plot(k, scan["hoyer_H"], "s-", label="H (loadings)")
    ax.set(title="Hoyer sparsity (0 dense, 1 one non-zero)", xlabel="k")
    ax.legend(fontsize=8)
    ax = axes[1, 1]
    ax.plot(k, scan["sparsity_W_l1l2"], "o-", label="W")
    ax.plot(k, scan["sparsity_H_l1l2"], "s-", label="H")
    ax.set(title="L1/L2 ratio (reference's sparsity)", xlabel="k")
    ax.legend(fontsize=8)
    for a in axes.flat:
        _mark(a, chosen)
    fig.suptitle(f"NMF rank scan (chosen k = {chosen}, dashed)")
    fig.tight_layout()
    return fig


def loadings_heatmap(H: np.ndarray, features: tuple[str, ...], factor_labels: list[str]):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(8, 0.5 * len(features)), 0.6 * len(factor_labels) + 2))
    im = ax.imshow(H, aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(features)), features, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(factor_labels)), factor_labels, fontsize=8)
    for (i, j), v in np.ndenumerate(H):
        if H.size <= 400:
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6,
                    color="white" if v < 0.6 * H.max() else "black")
    fig.colorbar(im, ax=ax, label="loading")
    ax.set_title("NMF loadings H (scaled features)")
    fig.tight_layout()
    return fig


def clustering_metrics(scan: pd.DataFrame, chosen: int, ps_min: float):
    """2x3: inertia, silhouette, Calinski-Harabasz, Davies-Bouldin, prediction strength, smallest share."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
    panels = [("inertia", "Inertia (lower = tighter)"), ("silhouette", "Silhouette (higher)"),
              ("calinski_harabasz", "Calinski–Harabasz (higher)"), ("davies_bouldin", "Davies–Bouldin (lower)"),
              ("prediction_strength", "Prediction strength (held-out)"), ("min_share", "Smallest segment share")]
    for ax, (col, title) in zip(axes.flat, panels):
        ax.plot(scan["k"], scan[col], "o-")
        ax.set(title=title, xlabel="k")
        _mark(ax, chosen)
    axes[1, 1].axhline(ps_min, color="grey", ls=":", lw=1)
    fig.suptitle(f"K-Means on factor scores (chosen k = {chosen}, dashed)")
    fig.tight_layout()
    return fig


def stability(ari: np.ndarray, kmeans_only: np.ndarray, jaccard: np.ndarray, names: list[str]):
    """Left: ARI distributions of both bootstraps. Right: per-segment Jaccard box plots with Hennig lines."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [1, 1.4]})
    ax = axes[0]
    bins = np.linspace(min(ari.min(), kmeans_only.min() if len(kmeans_only) else 1.0, 0.0), 1.0, 30)
    ax.hist(ari, bins=bins, alpha=0.7, label=f"full pipeline: {ari.mean():.3f} ± {ari.std(ddof=1):.3f}")
    if len(kmeans_only):
        ax.hist(kmeans_only, bins=bins, alpha=0.5,
                label=f"K-Means only (reference): {kmeans_only.mean():.3f} ± {kmeans_only.std(ddof=1):.3f}")
    ax.set(title=f"Bootstrap ARI to the segments ({len(ari)} resamples)", xlabel="adjusted Rand index",
           ylabel="resamples")
    ax.legend(fontsize=8, loc="upper left")
    ax = axes[1]
    data = [j[~np.isnan(j)] for j in jaccard.T]
    ax.boxplot(data, vert=False, showmeans=True)
    ax.set_yticks(range(1, len(names) + 1), names, fontsize=8)
    for x, c in ((0.6, "tab:red"), (0.75, "tab:orange"), (0.85, "tab:green")):
        ax.axvline(x, color=c, ls=":", lw=1)
    ax.invert_yaxis()
    ax.set(title="Per-segment Jaccard (Hennig: <0.6 unstable, ≥0.75 stable, ≥0.85 highly)", xlabel="best Jaccard",
           xlim=(0, 1.02))
    fig.tight_layout()
    return fig
