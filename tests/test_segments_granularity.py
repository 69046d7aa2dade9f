import numpy as np
import pandas as pd

from segtarget.segments.config import SegmentSpec
from segtarget.segments.featureset import REDUCED_FEATURES, scale_for_nmf
from segtarget.segments.granularity import choose_granularity, stability_grid
from segtarget.segments.synthetic import planted_households
from segtarget.segments.transform import FeatureScaler


def _grid(rows):
    base = {"resamples": 20, "silhouette": 0.3, "calinski_harabasz": 100.0, "davies_bouldin": 1.0}
    g = pd.DataFrame([base | r for r in rows])
    g["stable"] = (g["ari_mean"] >= 0.75) & (g["jaccard_min"] >= 0.75)
    return g


def test_stability_first_then_indexes():
    g = _grid([{"nmf_k": 3, "k": 5, "ari_mean": 0.9, "jaccard_min": 0.85, "silhouette": 0.30},
               {"nmf_k": 3, "k": 6, "ari_mean": 0.8, "jaccard_min": 0.78, "silhouette": 0.40,
                "calinski_harabasz": 120.0, "davies_bouldin": 0.9},
               {"nmf_k": 5, "k": 7, "ari_mean": 0.6, "jaccard_min": 0.50, "silhouette": 0.9,
                "calinski_harabasz": 900.0, "davies_bouldin": 0.1}])
    nmf_k, k, why, ok = choose_granularity(g, 0.75, 0.75)
    # the unstable candidate has the best indexes but never wins; among stable ones the indexes decide
    assert (nmf_k, k, ok) == (3, 6, True) and "2 of 3 candidates are stable" in why


def test_no_stable_candidate_takes_the_most_reproducible_and_says_so():
    g = _grid([{"nmf_k": 3, "k": 5, "ari_mean": 0.7, "jaccard_min": 0.6},
               {"nmf_k": 4, "k": 5, "ari_mean": 0.8, "jaccard_min": 0.7}])
    nmf_k, k, why, ok = choose_granularity(g, 0.75, 0.75)
    assert (nmf_k, k, ok) == (4, 5, False) and "tentative" in why


def test_grid_on_planted_segments_is_deterministic_and_finds_the_planted_k():
    df, _ = planted_households(150, 3, seed=1)
    X_raw = df[list(REDUCED_FEATURES)].to_numpy()
    X = scale_for_nmf(FeatureScaler("log").fit(X_raw), X_raw)
    spec = SegmentSpec("log", skew_threshold=2.0, kmeans_n_init=2, nmf_max_iter=300)
    kw = dict(seed=3, n_boot=4, ari_min=0.75, jaccard_min=0.75, n_jobs=1)
    a = stability_grid(X_raw, X, [2, 3], [2, 3, 4], spec, **kw)
    b = stability_grid(X_raw, X, [2, 3], [2, 3, 4], spec, **kw)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 6 and set(a.columns) >= {"ari_mean", "jaccard_min", "n_segments_stable", "stable"}
    assert a.loc[(a["k"] == 3) & (a["nmf_k"] == 3), "jaccard_min"].iloc[0] > 0.9
    assert choose_granularity(a, 0.75, 0.75)[:2] == (3, 3)
