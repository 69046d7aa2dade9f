"""Segments: K-Means on the NMF factor scores, a scan over k, and a GMM comparison.

Scan measures for each k (K-Means with k-means++ seeding and ``n_init`` restarts on the raw factor
scores W, as in the reference):

* ``silhouette`` (higher is better), ``calinski_harabasz`` (higher), ``davies_bouldin`` (lower) and
  ``inertia`` (within-cluster sum of squares): sklearn's definitions on the full data. The silhouette
  needs all pairwise distances, whose cost grows with the square of the households, so above
  ``segtarget.scale.SILHOUETTE_SAMPLE`` (20,000) households it is computed on a seeded sample of that
  many (the report's segments section says so).
* ``prediction_strength`` (Tibshirani & Walther 2005), the one measure on data the clustering did not
  see: split households in two halves A and B, cluster each; for every cluster of B, the share of its
  pairs of households that A's centroids also put together; take the worst cluster. Averaged over both
  directions. Values >= 0.8 mean the k clusters are reproducible on new data.
* ``min_share``: the smallest segment's share of households.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from ..errors import SegtargetError
from ..parallel import parallel_map
from ..scale import SILHOUETTE_SAMPLE, make_kmeans  # K-Means; MiniBatch K-Means above the scale threshold
from ..threads import single_threaded

RULES = ("consensus", "dbi", "silhouette", "ch", "prediction_strength")


def _worst_cluster_strength(test_labels: np.ndarray, predicted: np.ndarray) -> float:
    """min over test clusters of the share of within-cluster pairs co-assigned by ``predicted``."""
    worst = 1.0
    for c in np.unique(test_labels):
        counts = np.bincount(predicted[test_labels == c])
        m = counts.sum()
        if m < 2:
            continue
        worst = min(worst, float((counts * (counts - 1)).sum() / (m * (m - 1))))
    return worst


def prediction_strength(W: np.ndarray, k: int, seed: int, n_init: int = 10, minibatch: bool = False) -> float:
    """Tibshirani-Walther prediction strength of k clusters (one random half split, both directions)."""
    perm = np.random.default_rng(seed).permutation(len(W))
    a, b = perm[: len(W) // 2], perm[len(W) // 2:]
    fit_a = make_kmeans(k, seed, n_init, minibatch).fit(W[a])
    fit_b = make_kmeans(k, seed, n_init, minibatch).fit(W[b])
    return 0.5 * (_worst_cluster_strength(fit_b.labels_, fit_a.predict(W[b]))
                  + _worst_cluster_strength(fit_a.labels_, fit_b.predict(W[a])))


def cluster_scores(W: np.ndarray, labels: np.ndarray, seed: int = 0) -> dict:
    """Silhouette, Calinski-Harabasz and Davies-Bouldin of one labelling (NaN for a single cluster).

    Above ``SILHOUETTE_SAMPLE`` rows the silhouette uses a seeded sample of that many (module docstring)."""
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

    if len(np.unique(labels)) < 2:
        return {"silhouette": np.nan, "calinski_harabasz": np.nan, "davies_bouldin": np.nan}
    return {
        "silhouette": float(silhouette_score(W, labels, sample_size=SILHOUETTE_SAMPLE, random_state=seed)
                            if len(W) > SILHOUETTE_SAMPLE else silhouette_score(W, labels)),
        "calinski_harabasz": float(calinski_harabasz_score(W, labels)),
        "davies_bouldin": float(davies_bouldin_score(W, labels)),
    }


@single_threaded
def _scan_one(k: int, W: np.ndarray, seed: int, n_init: int, minibatch: bool = False) -> dict:
    km = make_kmeans(k, seed, n_init, minibatch).fit(W)
    row = {"k": k, **cluster_scores(W, km.labels_, seed), "inertia": float(km.inertia_)}
    row["prediction_strength"] = prediction_strength(W, k, seed, n_init, minibatch)
    row["min_share"] = float(np.bincount(km.labels_, minlength=k).min() / len(W))
    return row


def scan_kmeans(W: np.ndarray, ks: range, *, seed: int, n_init: int = 10, n_jobs: int = -1,
                backend: str = "joblib", minibatch: bool = False) -> pd.DataFrame:
    """One row per k with the measures defined in the module docstring (MiniBatch K-Means if ``minibatch``)."""
    if min(ks) < 2 or max(ks) >= len(W):
        raise SegtargetError(
            f"config 'segments.kmeans_k_min/max' = {min(ks)}..{max(ks)}: k must be at least 2 and below the "
            f"number of households ({len(W)})")
    task = functools.partial(_scan_one, W=W, seed=seed, n_init=n_init, minibatch=minibatch)
    return pd.DataFrame(parallel_map(task, list(ks), n_jobs=n_jobs, backend=backend))


def choose_kmeans_k(scan: pd.DataFrame, rule: str, ps_min: float = 0.8, fixed: int = 0) -> tuple[int, str]:
    """The number of segments and the sentence that explains why.

    ``fixed > 0`` wins. ``"consensus"``: rank every k on silhouette (high), Calinski-Harabasz (high) and
    Davies-Bouldin (low); the k with the best mean rank, ties to the smaller k. ``"dbi"``, ``"silhouette"``,
    ``"ch"``: the best k on that one index. ``"prediction_strength"``: the largest k whose prediction
    strength is at least ``ps_min`` (the smallest scanned k if none is).
    """
    if fixed > 0:
        return fixed, f"fixed by configuration (segments.kmeans_k = {fixed})"
    s = scan.sort_values("k", ignore_index=True)
    if rule == "consensus":
        ranks = pd.DataFrame({
            "silhouette": s["silhouette"].rank(ascending=False),
            "calinski_harabasz": s["calinski_harabasz"].rank(ascending=False),
            "davies_bouldin": s["davies_bouldin"].rank(ascending=True),
        })
        mean_rank = ranks.mean(axis=1)
        i = int(np.flatnonzero(mean_rank.to_numpy() == mean_rank.min())[0])
        r = ranks.iloc[i]
        return int(s.loc[i, "k"]), (
            f"best mean rank over silhouette, Calinski-Harabasz and Davies-Bouldin (k = {int(s.loc[i, 'k'])}: "
            f"ranks {r['silhouette']:.0f}/{r['calinski_harabasz']:.0f}/{r['davies_bouldin']:.0f} of {len(s)})")
    single = {"dbi": ("davies_bouldin", True), "silhouette": ("silhouette", False),
              "ch": ("calinski_harabasz", False)}
    if rule in single:
        col, low = single[rule]
        i = int(s[col].idxmin() if low else s[col].idxmax())
        return int(s.loc[i, "k"]), (f"{'minimum' if low else 'maximum'} {col.replace('_', '-')} "
                                    f"({s.loc[i, col]:.4g} at k = {int(s.loc[i, 'k'])})")
    if rule == "prediction_strength":
        ok = s.loc[s["prediction_strength"] >= ps_min]
        if ok.empty:
            k = int(s["k"].min())
            return k, f"no k reached prediction strength {ps_min:.2f}; took the smallest scanned k = {k}"
        row = ok.iloc[-1]
        return int(row["k"]), (f"largest k with held-out prediction strength >= {ps_min:.2f} "
                               f"({row['prediction_strength']:.3f} at k = {int(row['k'])})")
    raise SegtargetError(f"config 'segments.kmeans_rule' = {rule!r} is unknown; use one of {', '.join(RULES)}")


@single_threaded
def gmm_comparison(W: np.ndarray, k: int, kmeans_labels: np.ndarray, seed: int,
                   minibatch: bool = False) -> pd.DataFrame:
    """K-Means at the chosen k next to a full-covariance Gaussian mixture at the same k.

    Both rows carry the same three internal indexes; the GMM row adds its agreement (ARI) with K-Means and
    its BIC. A mixture that fits much better (and disagrees) would say the segments are not spherical.
    """
    from sklearn.metrics import adjusted_rand_score
    from sklearn.mixture import GaussianMixture

    gmm = GaussianMixture(n_components=k, covariance_type="full", n_init=3, random_state=seed,
                          reg_covar=1e-5).fit(W)
    gl = gmm.predict(W)
    rows = [
        {"method": "K-Means", "k": k, **cluster_scores(W, kmeans_labels, seed), "ari_vs_kmeans": 1.0,
         "bic": np.nan, "min_share": float(np.bincount(kmeans_labels, minlength=k).min() / len(W))},
        {"method": "GMM (full covariance)", "k": k, **cluster_scores(W, gl, seed),
         "ari_vs_kmeans": float(adjusted_rand_score(kmeans_labels, gl)), "bic": float(gmm.bic(W)),
         "min_share": float(np.bincount(gl, minlength=k).min() / len(W))},
    ]
    return pd.DataFrame(rows)
