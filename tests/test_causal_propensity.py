"""Propensity comparison: same folds and choice as the shared nuisances; calibration table."""

import numpy as np
import pytest

from segtarget.causal.nuisance import crossfit_nuisances, make_folds
from segtarget.causal.ate.propensity import calibration_bins, compare_propensity, expected_calibration_error


def test_calibration_bins_by_hand():
    T = np.array([0, 0, 1, 1, 1, 1])
    e = np.array([0.1, 0.1, 0.2, 0.9, 0.9, 0.9])
    table = calibration_bins(T, e, n_bins=2)
    # median split of e: {0.1, 0.1, 0.2} with T = 0, 0, 1 and {0.9, 0.9, 0.9} with T = 1, 1, 1
    assert table["n"].tolist() == [3, 3]
    assert table["mean_predicted"].tolist() == pytest.approx([0.4 / 3, 0.9])
    assert table["observed_share"].tolist() == pytest.approx([1 / 3, 1.0])
    # 95% CI half-width 1.96 sqrt(max(p (1 - p), 1 / n) / n) = 1.96 / 3 in both bins, clipped to [0, 1]
    assert table["ci_lower"].tolist() == pytest.approx([0.0, 1 - 1.96 / 3])
    assert table["ci_upper"].tolist() == pytest.approx([1 / 3 + 1.96 / 3, 1.0])
    # ECE = (3 |1/3 - 0.4/3| + 3 |1 - 0.9|) / 6
    assert expected_calibration_error(table) == pytest.approx(0.15)


def test_compare_matches_shared_nuisances():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    T = rng.binomial(1, 1 / (1 + np.exp(-1.5 * X[:, 0])))
    Y = X[:, 1] + T + rng.normal(size=300)
    folds = make_folds(T, 3, 0)
    comp = compare_propensity(T, X, folds, seed=0, n_bins=5)
    nuis = crossfit_nuisances(Y, T, X, n_folds=3, seed=0, folds=folds)
    assert comp.selected == nuis.ps_model
    np.testing.assert_allclose(comp.predictions[comp.selected], nuis.e_raw)
    scores = comp.summary_frame().set_index("model")
    assert scores["selected"].sum() == 1 and (scores["auc"] > 0.75).all()
    assert set(comp.calibration["model"]) == {"logistic", "lightgbm"}
