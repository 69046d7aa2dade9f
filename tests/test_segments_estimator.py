"""SegmentModel is a scikit-learn estimator: the library's own checks, clone, Pipeline, parameters."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from segtarget.errors import SegtargetError
from segtarget.segments.featureset import REDUCED_FEATURES
from segtarget.segments.model import SegmentModel
from segtarget.segments.synthetic import planted_households

# The checks feed matrices of 1-10 columns, so the instance segments every column (features=None) and is
# small enough for the checks' 20-30 row data sets.
CHECKED = SegmentModel(features=None, n_factors=2, n_segments=3, n_init=2, max_iter=200)

# Each exemption with its reason; anything not listed here must pass.
EXEMPT = {
    "check_methods_subset_invariance": (
        "NMF transform solves the factor scores of all rows jointly until a tolerance on the whole matrix is "
        "met, so a row's scores move by ~1e-6 with the batch it comes in; changing the solver would change "
        "the default run's segments"),
}


@parametrize_with_checks([CHECKED], expected_failed_checks=lambda est: EXEMPT)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def planted():
    df, truth = planted_households(240, 3, seed=1)
    return df, truth


def _small(**kw):
    return SegmentModel(n_factors=3, n_segments=3, random_state=0, n_init=4, **kw)


def test_clone_and_params_round_trip():
    model = _small(name_overrides={"0": "Core"})
    params = model.get_params()
    assert params["n_factors"] == 3 and params["scaling"] == "log" and params["features"] == REDUCED_FEATURES
    copy = clone(model)
    assert copy is not model and copy.get_params() == params
    assert clone(model).set_params(n_segments=4).n_segments == 4 and model.n_segments == 3


def test_household_table_and_plain_matrix_give_the_same_segments(planted):
    df, _ = planted
    table = _small().fit(df)
    matrix = _small(features=None).fit(df[list(REDUCED_FEATURES)].to_numpy())
    np.testing.assert_array_equal(table.labels_, matrix.labels_)
    np.testing.assert_allclose(table.transform(df), matrix.transform(df[list(REDUCED_FEATURES)].to_numpy()))
    assert table.names_ is not None and matrix.names_ is None  # only a household table has households to name
    with pytest.raises(SegtargetError, match="household feature table"):
        matrix.assign(df)


def test_inside_a_pipeline(planted):
    df, _ = planted
    X = df[list(REDUCED_FEATURES)].to_numpy()
    pipe = Pipeline([("impute", SimpleImputer(strategy="median")), ("segments", _small(features=None))])
    labels = pipe.fit_predict(X)
    np.testing.assert_array_equal(labels, _small(features=None).fit(X).labels_)
    scores = pipe.transform(X)
    assert scores.shape == (len(X), 3) and (scores >= 0).all()
    fitted = clone(pipe).set_params(segments__n_segments=4).fit(X)
    assert set(fitted.predict(X)) == {0, 1, 2, 3}


def test_fitted_state_and_methods_return_arrays(planted):
    df, _ = planted
    model = _small().fit(df)
    assert isinstance(model.predict(df), np.ndarray) and isinstance(model.transform(df), np.ndarray)
    np.testing.assert_array_equal(_small().fit_predict(df), model.labels_)
    assert model.cluster_centers_.shape == (3, 3) and model.n_features_in_ == len(REDUCED_FEATURES)
    # canonical numbering: the nearest centre of every training household is its segment
    np.testing.assert_array_equal(np.argmin(model.centroid_distances(df), axis=1), model.labels_)
    with pytest.raises(NotFittedError):
        _small().predict(df)
