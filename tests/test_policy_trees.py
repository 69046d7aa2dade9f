import numpy as np
import pandas as pd
import pytest

from segtarget.policy.trees import crossfit_tree_policy


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["spend", "visits", "noise"])
    T = rng.binomial(1, 0.5, n)
    tau = np.where(X["spend"] > 0, 60.0, -20.0)
    Y = 100 + 20 * X["visits"] + tau * T + rng.normal(0, 20, n)
    return X, Y.to_numpy(), T, tau, np.arange(n) % 4


@pytest.mark.parametrize("kind", ["PolicyTree", "DRPolicyTree"])
def test_tree_finds_the_profitable_half_with_readable_rules(kind):
    X, Y, T, tau, folds = _data()
    tp = crossfit_tree_policy(kind, X, Y, T, tau, folds, margin=0.3, cost=3.0, depth=2, seed=0)
    agree = np.mean((tp.pi == 1) == (X["spend"] > 0).to_numpy())
    assert agree > 0.9
    assert tp.rules["rule"].str.contains("spend").all()
    assert set(tp.rules["decision"]) == {"contact", "do not contact"}
    assert tp.rules["n_households"].sum() == len(X)
    assert "→" in tp.rules_text()


def test_decisions_for_a_fold_do_not_depend_on_that_folds_data():
    X, Y, T, tau, folds = _data(seed=1)
    cate = tau + np.random.default_rng(2).normal(0, 5, len(tau))
    base = crossfit_tree_policy("PolicyTree", X, Y, T, cate, folds, margin=0.3, cost=3.0, seed=3)
    scrambled = cate.copy()
    scrambled[folds == 0] = -scrambled[folds == 0]  # rewards of fold 0 flipped
    other = crossfit_tree_policy("PolicyTree", X, Y, T, scrambled, folds, margin=0.3, cost=3.0, seed=3)
    np.testing.assert_array_equal(base.pi[folds == 0], other.pi[folds == 0])
    assert not np.array_equal(base.pi[folds != 0], other.pi[folds != 0])
