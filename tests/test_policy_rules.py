import numpy as np
import pytest

from segtarget.policy.config import PolicyConfig
from segtarget.policy.economics import Economics
from segtarget.policy.rules import (budget_cap, budget_policy, conservative_policy, risk_adjusted_policy,
                                    standard_policies, threshold_policy, top_k_policy)


def _econ(cost=3.0, margin=0.3):
    return Economics(cost=cost, margin=margin, breakeven=cost / margin, cost_source="test")


@pytest.mark.parametrize("seed", range(5))
def test_conservative_never_targets_more_than_breakeven(seed):
    rng = np.random.default_rng(seed)
    cate = rng.normal(10, 20, 500)
    lower = cate - rng.exponential(15, 500)
    lower[:20] = cate[:20] + 5  # malformed intervals must not break the guarantee
    be = 10.0
    cons, brk = conservative_policy(cate, lower, be), threshold_policy(cate, be)
    assert np.all(cons <= brk) and cons.sum() <= brk.sum()
    for lam in (0.3, 0.5, 0.7):
        ra = risk_adjusted_policy(cate, lower, lam, be)
        assert np.all(cons[lower <= cate] <= ra[lower <= cate]) and np.all(ra <= brk)


def test_top_k_picks_the_largest_cate_and_rounds_the_count():
    cate = np.array([5.0, 1.0, 9.0, 3.0, 7.0, 7.0, 0.0])
    pi = top_k_policy(cate, 30)  # round(7 * 0.3) = 2
    assert pi.sum() == 2 and set(np.flatnonzero(pi)) == {2, 4}  # tie at 7: first row wins
    assert top_k_policy(cate, 100).sum() == 7


def test_budget_caps_households_and_spend():
    assert budget_cap(2.0, max_households=50, max_spend=60.0) == 30
    assert budget_cap(2.0) is None
    cate = np.array([50.0, 40.0, 30.0, 5.0, 45.0])
    pi = budget_policy(cate, breakeven=10.0, cap=2)
    assert set(np.flatnonzero(pi)) == {0, 4}
    assert budget_policy(cate, breakeven=10.0, cap=10).sum() == 4  # never below break-even


def test_standard_policies_include_baselines_and_current_practice_uses_propensity():
    rng = np.random.default_rng(1)
    cate = rng.normal(10, 20, 100)
    e = rng.uniform(0.1, 0.9, 100)
    pols = standard_policies(cate, cate - 10, e, _econ(), PolicyConfig(budget_households=10))
    for name in ("CATE > break-even", "top 30%", "conservative", "risk-adjusted λ=0.5", "budget ≤ 10 households",
                 "current practice", "everyone", "no one"):
        assert name in pols
    np.testing.assert_allclose(pols["current practice"][0], e)
    assert pols["budget ≤ 10 households"][0].sum() <= 10
