import numpy as np
import pandas as pd
import pytest

from segtarget.errors import SegtargetError
from segtarget.policy.profit import EffectScores, averaged_scores, check_discount_columns, grouped_folds


def test_grouped_folds_keep_a_household_in_one_fold():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 150, 400)
    T = rng.binomial(1, 0.4, 400)
    folds = grouped_folds(T, groups, 5, seed=1)
    assert pd.Series(folds).groupby(groups).nunique().max() == 1 and len(np.unique(folds)) == 5


def test_profit_score_is_linear_in_the_margin():
    s = EffectScores({"sales": np.array([10.0, -4.0]), "retailer_discount": np.array([1.0, 0.5]),
                      "coupon_discount": np.array([2.0, 0.0])}, 1)
    np.testing.assert_allclose(s.profit(0.3, ("retailer_discount",)), [2.0, -1.7])
    np.testing.assert_allclose(s.profit(0.3, ("retailer_discount", "coupon_discount")), [0.0, -1.7])


def test_averaged_scores_recover_a_planted_effect_on_both_outcomes():
    rng = np.random.default_rng(3)
    n = 800
    X = rng.normal(size=(n, 2))
    e = 1 / (1 + np.exp(-X[:, 0]))
    T = rng.binomial(1, e)
    sales = 100 + 10 * X[:, 0] + 20 * T + rng.normal(0, 10, n)
    disc = 1 + 2 * T + rng.normal(0, 1, n)
    s = averaged_scores({"sales": sales, "retailer_discount": disc}, T, X, {}, groups=np.arange(n) // 2,
                        repeats=2, n_folds=3, seed=0, clip=(0.01, 0.99))
    assert s.n_splits == 2
    assert s.scores["sales"].mean() == pytest.approx(20, abs=4)
    assert s.scores["retailer_discount"].mean() == pytest.approx(2, abs=0.5)


def test_missing_discount_column_names_it():
    df = pd.DataFrame({"retailer_discount": [0.0]})
    check_discount_columns(df, False)
    with pytest.raises(SegtargetError, match="coupon_discount"):
        check_discount_columns(df, True)
    with pytest.raises(SegtargetError, match="retailer_discount"):
        check_discount_columns(pd.DataFrame({"x": [1]}), False)
