import numpy as np
import pytest

from segtarget.policy.selection import crossfit_select


def _setup(n=600, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    r = np.where(x > 0, 5.0, -5.0) + rng.normal(0, 20, n)
    folds = np.arange(n) % 4
    cands = {"x > 0": (x > 0).astype(float), "x < 0": (x < 0).astype(float),
             "everyone": np.ones(n), "no one": np.zeros(n)}
    return x, r, folds, cands


def test_a_folds_choice_never_looks_at_that_fold():
    """By construction: changing fold k's outcomes cannot change the policy chosen for fold k."""
    x, r, folds, cands = _setup()
    base = crossfit_select(cands, r, folds, None)
    for k in range(4):
        wild = r.copy()
        wild[folds == k] = -1000 * wild[folds == k]  # any outcomes at all on fold k
        other = crossfit_select(cands, wild, folds, None)
        assert other.chosen[k] == base.chosen[k] and other.uniform_chosen[k] == base.uniform_chosen[k]
        np.testing.assert_array_equal(other.pi[folds == k], base.pi[folds == k])


def test_nested_candidates_use_the_row_of_the_held_out_fold():
    x, r, folds, cands = _setup(seed=1)
    # row k: the paying rule x > 0 when k is odd, its opposite when k is even; so the nested candidate wins
    # exactly the odd folds, and only the right row gives fold k its decisions
    nested = np.vstack([(x > 0) if k % 2 else (x < 0) for k in range(4)]).astype(float)
    res = crossfit_select({"nested": nested, "everyone": cands["everyone"], "no one": cands["no one"]}, r, folds,
                          None)
    assert [res.chosen[k] for k in (1, 3)] == ["nested", "nested"]
    assert "nested" not in (res.chosen[0], res.chosen[2])
    for k in (1, 3):
        np.testing.assert_array_equal(res.pi[folds == k], (x[folds == k] > 0).astype(float))


def test_value_gain_and_uniform_are_consistent():
    x, r, folds, cands = _setup(seed=2)
    res = crossfit_select(cands, r, folds, np.arange(len(r)) // 2)
    assert res.value == pytest.approx((res.pi * r).sum())
    assert res.gain == pytest.approx(res.value - res.uniform_value)
    assert res.ci[0] < res.value < res.ci[1] and res.gain_ci[0] <= res.gain <= res.gain_ci[1]
    assert set(res.chosen.values()) <= set(cands) and set(res.uniform_chosen.values()) <= {"everyone", "no one"}


def test_with_a_clear_signal_the_targeting_rule_wins_everywhere():
    x, _, folds, cands = _setup(seed=3)
    r = np.where(x > 0, 5.0, -5.0)
    res = crossfit_select(cands, r, folds, None)
    assert set(res.chosen.values()) == {"x > 0"} and res.label == "x > 0"
    assert res.value == pytest.approx(np.clip(r, 0, None).sum()) and res.gain > 0.8 * res.value
