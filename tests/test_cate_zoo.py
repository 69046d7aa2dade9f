"""The zoo: every learner fits, predictions are truly out-of-fold, intervals only where they exist."""

import numpy as np
import pandas as pd
import pytest

from segtarget.causal.cate.config import CateConfig
from segtarget.causal.nuisance import make_folds
from segtarget.causal.cate.zoo import (MODEL_NAMES, CateModel, EnsembleCateModel, check_models, default_params,
                                  oof_cate_many)
from segtarget.errors import SegtargetError


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    T = rng.binomial(1, 1 / (1 + np.exp(-X[:, 0])))
    Y = X[:, 0] + T * (1 + X[:, 1]) + rng.normal(size=n)
    return Y, T, X


@pytest.fixture(scope="module")
def small_cfg():
    return CateConfig(n_estimators=30, forest_trees=40)


def test_every_model_predicts_out_of_fold(small_cfg):
    Y, T, X = _data()
    folds = make_folds(T, 3, 0)
    specs = {m: default_params(m, small_cfg) for m in MODEL_NAMES}
    oof = oof_cate_many(specs, Y, T, X, folds, random_state=1)
    assert set(oof) == set(MODEL_NAMES)
    for name, o in oof.items():
        assert np.isfinite(o.cate).all(), name
        has = np.isfinite(o.lower).all() and np.isfinite(o.upper).all()
        assert has == (name in ("linear_dml", "causal_forest")), name
        if has:
            assert (o.lower <= o.cate + 1e-9).all() and (o.cate <= o.upper + 1e-9).all()


def test_fold_predictions_do_not_depend_on_own_outcomes(small_cfg):
    Y, T, X = _data()
    folds = make_folds(T, 3, 0)
    specs = {"t": default_params("t", small_cfg), "linear_dml": default_params("linear_dml", small_cfg)}
    a = oof_cate_many(specs, Y, T, X, folds, random_state=1)
    Y2 = Y.copy()
    Y2[folds == 0] += np.random.default_rng(5).normal(0, 50, (folds == 0).sum())
    b = oof_cate_many(specs, Y2, T, X, folds, random_state=1)
    for m in specs:
        assert np.allclose(a[m].cate[folds == 0], b[m].cate[folds == 0])
        assert not np.allclose(a[m].cate[folds != 0], b[m].cate[folds != 0])


def test_same_seed_same_numbers_and_parallel_equals_serial(small_cfg):
    Y, T, X = _data(200)
    folds = make_folds(T, 2, 0)
    specs = {"x": default_params("x", small_cfg)}
    a = oof_cate_many(specs, Y, T, X, folds, random_state=3, n_jobs=1)
    b = oof_cate_many(specs, Y, T, X, folds, random_state=3, n_jobs=2)
    for m in specs:
        assert np.array_equal(a[m].cate, b[m].cate)


def test_cate_model_and_ensemble_interface(small_cfg):
    Y, T, X = _data(200)
    m = CateModel("linear_dml", default_params("linear_dml", small_cfg), 0).fit(Y, T, X=pd.DataFrame(X))
    cate = m.predict(X[:5])
    np.testing.assert_array_equal(cate, m.effect(X[:5]))
    lo, hi = m.effect_interval(X[:5], alpha=0.05)
    assert cate.shape == lo.shape == (5,) and np.all(lo <= cate) and np.all(cate <= hi)
    lo90, hi90 = m.effect_interval(X[:5], alpha=0.10)
    assert np.all(hi90 - lo90 < hi - lo)  # alpha reaches the learner: a 90% band is narrower than a 95% one
    ens = EnsembleCateModel((("s", default_params("s", small_cfg)), ("t", default_params("t", small_cfg)))).fit(
        Y, T, X=X)
    c = ens.predict(X[:5])
    lo, hi = ens.effect_interval(X[:5])
    assert np.isnan(lo).all() and np.isnan(hi).all() and c.shape == (5,)
    np.testing.assert_allclose(c, np.mean([mm.effect(X[:5]) for mm in ens.models_], axis=0))


def test_oof_intervals_take_alpha(small_cfg):
    Y, T, X = _data(200)
    folds = make_folds(T, 2, 0)
    specs = {"linear_dml": default_params("linear_dml", small_cfg)}
    a = oof_cate_many(specs, Y, T, X, folds, random_state=1)["linear_dml"]
    b = oof_cate_many(specs, Y, T, X, folds, random_state=1, alpha=0.2)["linear_dml"]
    assert a.alpha == 0.05 and b.alpha == 0.2 and np.array_equal(a.cate, b.cate)
    assert np.all(b.upper - b.lower < a.upper - a.lower)
    with pytest.raises(SegtargetError, match="alpha = 2: use a level in"):
        oof_cate_many(specs, Y, T, X, folds, random_state=1, alpha=2)


def test_cate_model_is_a_scikit_learn_estimator(small_cfg):
    from sklearn.base import clone
    from sklearn.exceptions import NotFittedError

    Y, T, X = _data(200)
    params = default_params("t", small_cfg)
    m = CateModel("t", params, random_state=7)
    assert m.get_params() == {"name": "t", "params": params, "random_state": 7}
    c = clone(m)
    assert c.get_params()["random_state"] == 7 and c is not m and not hasattr(c, "estimator_")
    with pytest.raises(NotFittedError):
        c.effect(X[:2])
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    m.fit(Y, T, X=df)
    assert m.n_features_in_ == 3 and list(m.feature_names_in_) == ["a", "b", "c"]
    np.testing.assert_array_equal(clone(m).fit(Y, T, X=df).effect(X), m.effect(X))  # same seed, same numbers
    assert not np.array_equal(clone(m).set_params(random_state=8).fit(Y, T, X=df).effect(X), m.effect(X))
    ens = clone(EnsembleCateModel((("t", params),), random_state=1))
    assert ens.get_params()["members"] == (("t", params),)


def test_controls_w_are_used_or_rejected(small_cfg):
    Y, T, X = _data(300)
    W = np.random.default_rng(9).normal(size=(300, 2))
    params = default_params("linear_dml", small_cfg)
    plain = CateModel("linear_dml", params, 0).fit(Y, T, X=X)
    with_w = CateModel("linear_dml", params, 0).fit(Y, T, X=X, W=W)
    assert not np.allclose(plain.effect(X[:5]), with_w.effect(X[:5]))  # W reaches the nuisances
    with pytest.raises(SegtargetError, match=r"CateModel\('t'\).fit: W is not used by the T-learner; add those "
                                             "columns to X"):
        CateModel("t", default_params("t", small_cfg)).fit(Y, T, X=X, W=W)
    with pytest.raises(SegtargetError, match=r"W has shape \(10, 2\); pass a 2-D array with one row per unit"):
        CateModel("dr", default_params("dr", small_cfg)).fit(Y, T, X=X, W=W[:10])
    with pytest.raises(SegtargetError, match="W is not used by the S-learner"):
        EnsembleCateModel((("s", default_params("s", small_cfg)),)).fit(Y, T, X=X, W=W)


def test_check_models_rejects_unknown_names():
    with pytest.raises(SegtargetError, match="cate.models: unknown model 'bart'"):
        check_models(("t", "bart"))
    with pytest.raises(SegtargetError, match="empty"):
        check_models(())
    assert check_models(("t", "t", "s")) == ("t", "s")
