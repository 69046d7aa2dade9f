import numpy as np
import pytest
from sklearn.decomposition import NMF
from sklearn.metrics import r2_score

from segtarget.errors import SegtargetError
from segtarget.segments import factors as F
from segtarget.segments.config import SegmentSpec


@pytest.fixture(scope="module")
def X():
    rng = np.random.default_rng(0)
    return rng.gamma(1.0, 1.0, size=(120, 6)) @ rng.gamma(1.0, 1.0, size=(6, 8)) / 10


def test_measures_match_direct_computation(X):
    model = NMF(3, init="nndsvda", max_iter=500, random_state=1).fit(X)
    W = model.transform(X)
    Xhat = W @ model.components_
    assert F.flattened_explained_variance(X, Xhat) == pytest.approx(1 - np.var(X - Xhat) / np.var(X))
    np.testing.assert_allclose(F.per_feature_r2(X, Xhat), r2_score(X, Xhat, multioutput="raw_values"))
    assert F.l1_l2_ratio(W) == pytest.approx(np.abs(W).sum() / np.linalg.norm(W))


def test_hoyer_sparsity_extremes():
    one_hot = np.zeros((4, 5))
    one_hot[2, 3] = 7.0
    assert F.hoyer_sparsity(one_hot) == pytest.approx(1.0)
    assert F.hoyer_sparsity(np.ones((4, 5))) == pytest.approx(0.0)


def test_per_feature_r2_constant_column_is_nan():
    X = np.column_stack([np.arange(5.0), np.ones(5)])
    r2 = F.per_feature_r2(X, X)
    assert r2[0] == pytest.approx(1.0) and np.isnan(r2[1])


def test_scan_rows_and_reconstruction_error(X):
    scan = F.scan_factors(X, X, range(2, 5), SegmentSpec("minmax", nmf_max_iter=400), seed=0, n_folds=2, n_jobs=1)
    assert list(scan["k"]) == [2, 3, 4]
    direct = NMF(3, init="nndsvda", max_iter=400, random_state=0).fit(X)
    assert scan.loc[scan["k"] == 3, "reconstruction_error"].item() == pytest.approx(direct.reconstruction_err_)
    assert (scan["r2_heldout"] <= 1).all() and scan["r2_in_sample"].is_monotonic_increasing


def test_heldout_r2_uses_unseen_households(X, monkeypatch):
    """Instrumented: the scaler and the NMF of each fold are fitted on rows that fold never scores."""
    from segtarget.segments import featureset, transform

    rows = lambda A: frozenset(r.tobytes() for r in np.asarray(A))  # noqa: E731 (a household = its raw row)
    events, scaled_from = [], {}
    real_fit, real_scale, real_nmf = transform.FeatureScaler.fit, featureset.scale_for_nmf, F.fit_nmf

    def scaler_fit(self, A):
        events.append(("scaler", rows(A)))
        return real_fit(self, A)

    def scale(scaler, A):
        out = real_scale(scaler, A)
        scaled_from[id(out)] = rows(A)
        events.append(("scale", rows(A)))
        return out

    def nmf(Z, *args, **kwargs):
        events.append(("nmf", scaled_from[id(Z)]))
        return real_nmf(Z, *args, **kwargs)

    monkeypatch.setattr(transform.FeatureScaler, "fit", scaler_fit)
    monkeypatch.setattr(featureset, "scale_for_nmf", scale)
    monkeypatch.setattr(F, "fit_nmf", nmf)
    folds = F.household_folds(len(X), 3, seed=0)
    assert sorted(np.bincount(folds)) == [40, 40, 40]
    cv = F.heldout_r2(X, 2, folds, seed=0, spec=SegmentSpec("minmax", nmf_max_iter=300))
    assert cv.shape == (3,) and np.all(cv < 1)
    assert [e[0] for e in events] == ["scaler", "scale", "nmf", "scale"] * 3
    everyone = rows(X)
    assert len(everyone) == len(X)
    scored_all = []
    for f in range(3):
        (_, scaler_rows), _, (_, nmf_rows), (_, scored) = events[4 * f: 4 * f + 4]
        assert scored == rows(X[folds == f]) and len(scored) == 40
        assert scaler_rows == nmf_rows == everyone - scored  # fitted on every other household, none of these
        scored_all.append(scored)
    assert frozenset().union(*scored_all) == everyone  # each household scored once, by a model that never saw it


def test_choose_rules():
    import pandas as pd

    scan = pd.DataFrame({"k": [2, 3, 4, 5], "r2_heldout": [0.3, 0.45, 0.55, 0.6], "r2_heldout_se": [0.01] * 4,
                         "reconstruction_error": [10.0, 5.0, 4.5, 4.2]})
    assert F.choose_nmf_k(scan, "r2", 0.5)[0] == 4
    assert F.choose_nmf_k(scan, "r2", 0.9)[0] == 5
    bend = pd.DataFrame({"k": [2, 3, 4, 5], "r2_heldout": [0.3, 0.5, 0.55, 0.6]})
    assert F.choose_nmf_k(bend, "elbow", 0.5)[0] == 3
    jump = pd.DataFrame({"k": [2, 3, 4], "r2_heldout": [0.58, 0.98, 0.985], "r2_heldout_se": [0.01] * 3})
    k, why = F.choose_nmf_k(jump, "r2", 0.5)
    assert k == 3 and "raised it by >= 0.10" in why
    assert F.choose_nmf_k(scan, "r2", 0.5, fixed=5) == (5, "fixed by configuration (segments.nmf_k = 5)")
    with pytest.raises(SegtargetError, match="nmf_rule"):
        F.choose_nmf_k(scan, "magic", 0.5)
