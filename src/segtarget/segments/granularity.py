"""How many segments: a business range of k, chosen inside it by stability first, then clustering indexes.

The segment count is a business choice (``segments.kmeans_k_min..kmeans_k_max``, default 5-8: fewer is too
coarse to plan campaigns, more is too many to run). Inside the range, and over the NMF ranks
``nmf_k_min..stability_nmf_k_max`` unless one is fixed, every candidate (NMF rank r, segments k) is
scored by a full-pipeline bootstrap (``stability.bootstrap_curve``: each resample refits scaler, NMF and
K-Means and labels every household):

* ``ari_mean``: mean adjusted Rand index to the candidate's own full-data segments;
* ``jaccard_min``: the smallest per-segment mean Jaccard (Hennig) - the least reproducible segment;
* ``stable``: ``ari_mean >= stability_ari_min`` and ``jaccard_min >= stability_jaccard_min`` (default 0.75
  both, Hennig's "stable").

Indexes are computed in the one space all candidates share, the scaled feature matrix (not the factor
scores, whose dimension differs by rank): silhouette (high), Calinski-Harabasz (high), Davies-Bouldin (low).

Rule: among stable candidates, the best mean rank over the three indexes (ties: larger ``jaccard_min``).
If no candidate is stable, the one with the largest ``jaccard_min`` is taken and the report says the goal
was not met. The selection uses its own resamples (``n_bootstrap_select`` per candidate); the stability
the report shows for the chosen candidate is re-measured on fresh resamples (``n_bootstrap``), so the
choice does not flatter its own score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import SegmentSpec
from .model import add_kmeans, fit_factors
from .stability import bootstrap_curve


def _indexes(X: np.ndarray, labels: np.ndarray, seed: int) -> dict:
    from .clustering import cluster_scores

    return cluster_scores(X, labels, seed=seed)


def stability_grid(X_raw: np.ndarray, X_scaled: np.ndarray, nmf_ks: list[int], ks: list[int], spec: SegmentSpec, *,
                   seed: int, n_boot: int, ari_min: float, jaccard_min: float, n_jobs: int = -1,
                   backend: str = "joblib", progress=None) -> pd.DataFrame:
    """One row per (nmf_k, k): stability and index columns defined in the module docstring; every candidate is
    fit with ``spec``."""
    rows = []
    for i, r in enumerate(nmf_ks):
        factors = fit_factors(X_raw, r, seed, spec)
        refs = {}
        for k in ks:
            parts = add_kmeans(factors, k, seed, spec)
            refs[k] = parts["order"][parts["kmeans"].labels_]
        curves = bootstrap_curve(X_raw, refs, spec, n_factors=r, n_boot=n_boot, seed=seed + 7919 * (i + 1),
                                 n_jobs=n_jobs, backend=backend)
        for k in ks:
            res = curves[k]
            jac = np.nanmean(res.jaccard, axis=0)
            rows.append({"nmf_k": r, "k": k, "ari_mean": float(res.ari.mean()),
                         "ari_sd": float(res.ari.std(ddof=1)) if len(res.ari) > 1 else np.nan,
                         "jaccard_min": float(np.nanmin(jac)), "jaccard_mean": float(np.nanmean(jac)),
                         "n_segments_stable": int((jac >= jaccard_min).sum()),
                         "min_share": float(np.bincount(refs[k], minlength=k).min() / len(refs[k])),
                         **_indexes(X_scaled, refs[k], seed), "resamples": n_boot})
        if progress:
            progress("segments: stability by k", (i + 1) / len(nmf_ks))
    out = pd.DataFrame(rows)
    out["stable"] = (out["ari_mean"] >= ari_min) & (out["jaccard_min"] >= jaccard_min)
    return out


def choose_granularity(grid: pd.DataFrame, ari_min: float, jaccard_min: float) -> tuple[int, int, str, bool]:
    """(nmf_k, k, reason, goal_met) by the rule in the module docstring."""
    g = grid.reset_index(drop=True)
    stable = g[g["stable"]]
    if stable.empty:
        i = int(g["jaccard_min"].idxmax())
        row = g.loc[i]
        return int(row["nmf_k"]), int(row["k"]), (
            f"no candidate reached ARI >= {ari_min:.2f} with every segment's Jaccard >= {jaccard_min:.2f}; took "
            f"the most reproducible (NMF rank {int(row['nmf_k'])}, k = {int(row['k'])}: smallest segment Jaccard "
            f"{row['jaccard_min']:.2f}, ARI {row['ari_mean']:.2f}); its segments are tentative"), False
    ranks = pd.DataFrame({"s": stable["silhouette"].rank(ascending=False),
                          "ch": stable["calinski_harabasz"].rank(ascending=False),
                          "dbi": stable["davies_bouldin"].rank(ascending=True)}).mean(axis=1)
    order = pd.DataFrame({"rank": ranks, "jac": -stable["jaccard_min"]}).sort_values(["rank", "jac"], kind="stable")
    row = g.loc[order.index[0]]
    return int(row["nmf_k"]), int(row["k"]), (
        f"{len(stable)} of {len(g)} candidates are stable (ARI >= {ari_min:.2f} and every segment's Jaccard >= "
        f"{jaccard_min:.2f} over {int(row['resamples'])} full-pipeline resamples); best mean rank of silhouette, "
        f"Calinski-Harabasz and Davies-Bouldin among them: NMF rank {int(row['nmf_k'])}, k = {int(row['k'])} "
        f"(ARI {row['ari_mean']:.2f}, smallest segment Jaccard {row['jaccard_min']:.2f})"), True


__all__ = ["stability_grid", "choose_granularity"]
