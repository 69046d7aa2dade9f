"""The scale switch in the model stages: MiniBatch segmentation and the sampled CATE fit (tiny thresholds)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from segtarget.causal.cate.config import CateConfig
from segtarget.causal.cate.pipeline import cate_frame, run_cate
from segtarget.causal.cate.scale import sample_rows
from segtarget.errors import SegtargetError
from segtarget.io import OutputDir
from segtarget.report.section import Text
from segtarget.scale import CATE_SAMPLE_SIZE, CATE_SAMPLE_THRESHOLD, SCALE_THRESHOLD_HOUSEHOLDS, plan_scale
from segtarget.segments.config import SegmentConfig
from segtarget.segments.model import SegmentModel
from segtarget.segments.pipeline import run_segments
from segtarget.segments.synthetic import planted_households

SEG = SegmentConfig(nmf_k_min=2, nmf_k_max=4, kmeans_k_min=2, kmeans_k_max=4, n_bootstrap=2, n_bootstrap_select=3, nmf_cv_folds=2,
                    kmeans_n_init=2, figures=False)
CATE = CateConfig(models=("s", "t"), n_estimators=40, n_boot=20, n_placebo=2, n_random_cause=1, n_subset=1,
                  n_dummy=1, folds=3, tree_min_leaf=0.1)


def test_segments_note_says_when_the_silhouette_is_sampled():
    assert plan_scale(20_000).segments_note() == ""
    note = plan_scale(30_000).segments_note()
    assert "silhouettes of the K-Means scan use a seeded sample of 20,000" in note and "MiniBatch" not in note
    assert "silhouettes" in plan_scale(60_000).segments_note() and "MiniBatch" in plan_scale(60_000).segments_note()


def test_config_defaults_are_the_scale_constants():
    assert SegmentConfig().scale_threshold == SCALE_THRESHOLD_HOUSEHOLDS
    assert CateConfig().sample_threshold == CATE_SAMPLE_THRESHOLD == CATE_SAMPLE_SIZE
    assert CateConfig().sample_size == CATE_SAMPLE_SIZE


# --- segmentation -------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def households():
    return planted_households(300, 3, seed=4)


def test_segment_model_switches_to_minibatch_above_threshold(households):
    df, truth = households
    fit = lambda thr: SegmentModel(n_factors=3, n_segments=3, random_state=0, n_init=2, scale_threshold=thr).fit(df)
    big, again, small = fit(100), fit(100), fit(300)
    assert big.minibatch_ and not small.minibatch_
    assert type(big.nmf_).__name__ == "MiniBatchNMF" and type(big.kmeans_).__name__ == "MiniBatchKMeans"
    assert type(small.nmf_).__name__ == "NMF" and type(small.kmeans_).__name__ == "KMeans"
    # every household assigned, deterministic, and the planted segments are still found
    assert len(big.labels_) == len(df) and set(big.labels_) == {0, 1, 2}
    np.testing.assert_array_equal(big.labels_, again.labels_)
    np.testing.assert_array_equal(big.nmf_.components_, again.nmf_.components_)
    assert adjusted_rand_score(truth, big.labels_) > 0.9
    np.testing.assert_array_equal(big.predict(df), big.labels_)
    # below the threshold: exactly the default (exact) model
    default = SegmentModel(n_factors=3, n_segments=3, random_state=0, n_init=2).fit(df)
    np.testing.assert_array_equal(small.labels_, default.labels_)
    np.testing.assert_array_equal(small.nmf_.components_, default.nmf_.components_)


def test_run_segments_minibatch_path_and_report_note(households, tmp_path):
    df, _ = households
    big = dataclasses.replace(SEG, scale_threshold=100)
    res, sections = run_segments(df, big, seed=7, out=OutputDir(tmp_path / "a"), n_jobs=1)
    again, _ = run_segments(df, big, seed=7, out=OutputDir(tmp_path / "b"), n_jobs=1)
    assert res.headline["minibatch"] and len(res.labels) == len(df) and res.labels["segment"].notna().all()
    pd.testing.assert_frame_equal(res.labels, again.labels)
    pd.testing.assert_frame_equal(res.nmf_scan.drop(columns="n_iter"), again.nmf_scan.drop(columns="n_iter"))
    assert np.array_equal(res.stability.ari, again.stability.ari)
    note = plan_scale(len(df), 100).segments_note()
    assert "MiniBatch K-Means" in note and note in sections[0].method_note
    assert any(isinstance(b, Text) and "MiniBatch" in b.html for b in sections[0].blocks)
    assert SegmentModel.load(tmp_path / "a" / "model").scale_threshold == 100
    with pytest.raises(SegtargetError, match="scale_threshold"):
        run_segments(df, dataclasses.replace(SEG, scale_threshold=0), seed=7, out=OutputDir(tmp_path / "c"))


def test_run_segments_below_threshold_is_unchanged(households, tmp_path):
    df, _ = households
    cfg = dataclasses.replace(SEG, n_bootstrap=0)
    a, sa = run_segments(df, cfg, seed=7, out=OutputDir(tmp_path / "a"), n_jobs=1)
    b, sb = run_segments(df, dataclasses.replace(cfg, scale_threshold=len(df)), seed=7,
                         out=OutputDir(tmp_path / "b"), n_jobs=1)
    assert not a.headline["minibatch"] and not b.headline["minibatch"]
    pd.testing.assert_frame_equal(a.labels, b.labels)
    pd.testing.assert_frame_equal(a.nmf_scan, b.nmf_scan)
    pd.testing.assert_frame_equal(a.kmeans_scan, b.kmeans_scan)
    assert "MiniBatch" not in sa[0].method_note and not any("Scale:" in getattr(x, "html", "") for x in sa[0].blocks)


# --- CATE ---------------------------------------------------------------------------------------------------

def _cate_data(n, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=["spend", "visits", "deal", "noise"])
    T = rng.binomial(1, 1 / (1 + np.exp(-X["spend"].to_numpy())))
    Y = 3 * X["spend"].to_numpy() + T * 2.0 * (X["deal"] > 0) + rng.normal(size=n)
    return Y, T, X


def test_cate_fits_on_a_stratified_sample_and_scores_everyone(tmp_path):
    Y, T, X = _cate_data(600)
    cfg = dataclasses.replace(CATE, sample_threshold=300, sample_size=200)
    res, sections = run_cate(Y, T, X, nuisances=None, cfg=cfg, seed=3, out=OutputDir(tmp_path), outcome="y",
                             n_jobs=1)
    oof = res.oof
    rows = sample_rows(Y, T, plan_scale(600, 300, 200), seed=3)
    assert len(oof) == 600 and oof["cate"].notna().all() and oof["in_sample"].sum() == 200
    np.testing.assert_array_equal(np.flatnonzero(oof["in_sample"]), rows)
    # per-model out-of-fold columns exist for the sample only; the rest comes from the final model
    assert oof.loc[oof["in_sample"], "cate_t"].notna().all() and oof.loc[~oof["in_sample"], "cate_t"].isna().all()
    rest = ~oof["in_sample"].to_numpy()
    np.testing.assert_allclose(oof.loc[rest, "cate"], res.final_model.predict(X[rest]))
    # nuisances and DR scores stay on every unit; evaluation and refutations on the sample
    assert len(res.dr_scores) == len(res.nuisances.e) == 600 and res.headline["n"] == 600
    assert res.headline["cate_sample"] == 200
    assert "stratified sample of 200" in res.warnings[-1]
    assert any(isinstance(b, Text) and "stratified sample of 200" in b.html for b in sections[0].blocks)
    assert res.warnings[-1] in sections[0].warnings  # shown with the model section, not the refutations
    assert "600 units is above it, so the models were fitted on a stratified sample of 200" in sections[0].method_note
    assert cate_frame({"y": res})["in_sample"].sum() == 200
    # the sample keeps both arms' shares (treatment x outcome quintile strata)
    assert abs(T[rows].mean() - T.mean()) < 0.02
    np.testing.assert_array_equal(rows, sample_rows(Y, T, plan_scale(600, 300, 200), seed=3))


def test_cate_below_threshold_or_full_sample_matches_the_exact_path(tmp_path):
    Y, T, X = _cate_data(200, seed=1)
    a, sa = run_cate(Y, T, X, nuisances=None, cfg=CATE, seed=3, out=OutputDir(tmp_path / "a"), outcome="y", n_jobs=1)
    assert "in_sample" not in a.oof.columns and "cate_sample" not in a.headline
    assert not any("Scale:" in getattr(x, "html", "") for x in sa[0].blocks)
    # the sampling rule is stated either way: here that every unit was fitted
    assert "at most cate.sample_threshold = 20,000 units" in sa[0].method_note
    assert "the models were fitted on all 200 units" in sa[0].method_note
    # above the threshold with a sample as large as the data: the sampling path reproduces the exact numbers
    full = dataclasses.replace(CATE, sample_threshold=100, sample_size=10_000)
    b, _ = run_cate(Y, T, X, nuisances=None, cfg=full, seed=3, out=OutputDir(tmp_path / "b"), outcome="y", n_jobs=1)
    assert b.oof["in_sample"].all()
    pd.testing.assert_frame_equal(a.oof, b.oof.drop(columns="in_sample"))
    pd.testing.assert_frame_equal(a.evaluation.drop(columns="fit_seconds"), b.evaluation.drop(columns="fit_seconds"))
    pd.testing.assert_frame_equal(a.refutation, b.refutation)
    with pytest.raises(SegtargetError, match="sample_size"):
        run_cate(Y, T, X, nuisances=None, cfg=dataclasses.replace(CATE, sample_threshold=100, sample_size=10),
                 seed=3, out=OutputDir(tmp_path / "c"), outcome="y", n_jobs=1)


def test_silhouette_on_a_seeded_sample_above_silhouette_sample(monkeypatch, households):
    from segtarget.segments import clustering as C

    rng = np.random.default_rng(0)
    W = rng.random((300, 3))
    labels = (W[:, 0] > 0.5).astype(int)
    exact = C.cluster_scores(W, labels)
    assert C.cluster_scores(W, labels, seed=1) == exact  # below SILHOUETTE_SAMPLE: exact
    monkeypatch.setattr(C, "SILHOUETTE_SAMPLE", 100)
    sampled = C.cluster_scores(W, labels, seed=1)  # above it, also below the scale threshold: sampled
    assert sampled == C.cluster_scores(W, labels, seed=1)
    assert sampled["silhouette"] != exact["silhouette"] and sampled["davies_bouldin"] == exact["davies_bouldin"]
    assert abs(sampled["silhouette"] - exact["silhouette"]) < 0.1
