import numpy as np
import pandas as pd

from segtarget.policy.trees import nested_tree_policy


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["spend", "visits", "noise"])
    tau = np.where(X["spend"] > 0, 60.0, -20.0)
    return X, tau, np.arange(n) % 4


def test_tree_finds_the_profitable_half_with_readable_rules():
    X, tau, folds = _data()
    tp = nested_tree_policy("PolicyTree (CATE)", X, 0.3 * tau - 3.0, folds, depth=2, seed=0)
    assert tp.pi.shape == (4, len(X))
    agree = np.mean((tp.pi == 1) == (X["spend"] > 0).to_numpy()[None, :])
    assert agree > 0.9
    assert tp.rules["rule"].str.contains("spend").all()
    assert set(tp.rules["decision"]) == {"contact", "do not contact"}
    assert tp.rules["n_households"].sum() == len(X)
    assert "→" in tp.rules_text()


def test_row_k_never_sees_fold_k():
    """Nested cross-fitting: every decision in row k comes from trees fit without fold k's rewards."""
    X, tau, folds = _data(seed=1)
    rewards = 0.3 * (tau + np.random.default_rng(2).normal(0, 5, len(tau))) - 3.0
    base = nested_tree_policy("t", X, rewards, folds, seed=3)
    scrambled = rewards.copy()
    scrambled[folds == 0] = -scrambled[folds == 0]  # rewards of fold 0 flipped
    other = nested_tree_policy("t", X, scrambled, folds, seed=3)
    np.testing.assert_array_equal(base.pi[0], other.pi[0])  # the whole row used when fold 0 is held out
    assert not np.array_equal(base.pi[1:], other.pi[1:])
