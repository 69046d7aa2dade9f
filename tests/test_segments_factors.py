import numpy as np
import pytest
from sklearn.decomposition import NMF
from sklearn.metrics import r2_score

from segtarget.errors import SegtargetError
from segtarget.segments import factors as F


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
    scan = F.scan_factors(X, X, range(2, 5), seed=0, max_iter=400, n_folds=2, n_jobs=1)
    assert list(scan["k"]) == [2, 3, 4]
    direct = NMF(3, init="nndsvda", max_iter=400, random_state=0).fit(X)
    assert scan.loc[scan["k"] == 3, "reconstruction_error"].item() == pytest.approx(direct.reconstruction_err_)
    assert (scan["r2_heldout"] <= 1).all() and scan["r2_in_sample"].is_monotonic_increasing


def test_heldout_r2_uses_unseen_households(X):
    folds = F.household_folds(len(X), 3, seed=0)
    assert sorted(np.bincount(folds)) == [40, 40, 40]
    cv = F.heldout_r2(X, 2, folds, seed=0, max_iter=300)
    assert cv.shape == (3,) and np.all(cv < 1)


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
