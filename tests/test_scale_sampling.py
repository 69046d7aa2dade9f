"""segtarget.scale: the scale threshold, stratified sampling and the estimator switch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segtarget.errors import SegtargetError
from segtarget.scale import (SCALE_THRESHOLD_HOUSEHOLDS, kmeans_estimator, nmf_estimator, outcome_strata,
                             plan_scale, stratified_sample)


def _frame(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"t": rng.random(n) < 0.3, "seg": rng.choice(["a", "b", "c", "d"], n, p=[.5, .3, .15, .05]),
                         "y": rng.gamma(2, 10, n)}, index=np.arange(n) * 3 + 7)


def test_sample_keeps_stratum_shares_and_is_reproducible():
    df = _frame()
    idx = stratified_sample(df, ["t", "seg"], 200, seed=1)
    assert len(idx) == 200 and idx.is_unique and idx.isin(df.index).all() and idx.is_monotonic_increasing
    full = df.groupby(["t", "seg"]).size() / len(df)
    got = df.loc[idx].groupby(["t", "seg"]).size() / 200
    assert (got.reindex(full.index) - full).abs().max() <= 1 / 200 + 1e-12  # largest-remainder rounding
    assert idx.equals(stratified_sample(df, ["t", "seg"], 200, seed=1))
    assert not idx.equals(stratified_sample(df, ["t", "seg"], 200, seed=2))


def test_every_stratum_represented_and_edge_cases():
    df = _frame(500)
    idx = stratified_sample(df, "seg", 4, seed=0)
    assert sorted(df.loc[idx, "seg"]) == ["a", "b", "c", "d"]
    assert stratified_sample(df, "seg", 10_000, seed=0).equals(df.index)
    with pytest.raises(SegtargetError, match="'nope'"):
        stratified_sample(df, ["nope"], 10, seed=0)
    with pytest.raises(SegtargetError, match="n=0"):
        stratified_sample(df, "seg", 0, seed=0)


def test_outcome_strata_cross_treatment_with_quintiles():
    df = _frame(2000)
    s = outcome_strata(df["t"], df["y"])
    assert set(np.unique(s)) == set(range(10))
    assert np.all((s >= 5) == df["t"].to_numpy())
    q = pd.Series(s[~df["t"].to_numpy()]).value_counts(normalize=True)
    assert q.max() < 0.3  # control units spread over the five outcome bins


def test_plan_switches_above_threshold_and_says_so():
    small, big = plan_scale(SCALE_THRESHOLD_HOUSEHOLDS), plan_scale(SCALE_THRESHOLD_HOUSEHOLDS + 1)
    assert not small.large and small.cate_sample is None and small.note() == ""
    assert big.large and big.cate_sample == 20_000 and "MiniBatch" in big.note()
    assert big.summary_frame().loc[0, "large"]
    assert type(kmeans_estimator(3, 10, seed=0)).__name__ == "KMeans"
    assert type(kmeans_estimator(3, 10**6, seed=0)).__name__ == "MiniBatchKMeans"
    assert type(nmf_estimator(3, 10**6, seed=0)).__name__ == "MiniBatchNMF"
    assert type(nmf_estimator(3, 10, seed=0)).__name__ == "NMF"


def test_minibatch_segments_agree_with_full_kmeans_on_clear_clusters():
    from sklearn.metrics import adjusted_rand_score

    rng = np.random.default_rng(3)
    centers = rng.random((4, 5)) * 10
    labels = rng.integers(0, 4, 6000)
    X = centers[labels] + rng.normal(0, 0.3, (6000, 5))
    full = kmeans_estimator(4, 10, seed=0, n_init=3).fit(X).labels_
    mini = kmeans_estimator(4, 10, seed=0, n_init=3, threshold=5).fit(X).labels_
    assert adjusted_rand_score(full, mini) > 0.99
