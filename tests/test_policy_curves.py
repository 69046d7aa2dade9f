import numpy as np
import pytest

from segtarget.policy.curves import (grid_costs, pivot_profit, profit_curve, scenario_definitions, scenarios,
                                     sensitivity_grid)
from segtarget.policy.rules import top_k_policy
from segtarget.policy.value import policy_value


def _scores(n=500, seed=0):
    rng = np.random.default_rng(seed)
    tau = rng.normal(20, 40, n)
    return tau + rng.normal(0, 10, n), tau + rng.normal(0, 80, n)  # cate, psi


def test_curve_rows_match_direct_top_k_values_and_mark_the_dr_optimum():
    cate, psi = _scores()
    curve = profit_curve(cate, psi, margin=0.3, cost=5.0, step=10)
    assert list(curve["pct"]) == list(range(10, 101, 10))
    row = curve[curve["pct"] == 30].iloc[0]
    v = policy_value(top_k_policy(cate, 30), psi, margin=0.3, cost=5.0)
    assert row["profit"] == pytest.approx(v.profit) and row["ci_lower"] == pytest.approx(v.ci_lower)
    assert curve["optimum"].sum() == 1
    assert curve.loc[curve["optimum"], "profit"].iloc[0] == curve["profit"].max()
    assert (curve["ci_lower"] <= curve["profit"]).all() and (curve["profit"] <= curve["ci_upper"]).all()


def test_sensitivity_grid_is_complete_and_breakeven_moves_with_cost_and_margin():
    cate, psi = _scores()
    grid = sensitivity_grid(cate, psi, costs=(5.0, 10.0, 20.0), margins=(0.2, 0.3))
    assert len(grid) == 6 and (grid["everyone_ci_lower"] <= grid["everyone_profit"]).all()
    np.testing.assert_allclose(grid["breakeven"], grid["cost"] / grid["margin"])
    low = grid[(grid["cost"] == 5.0) & (grid["margin"] == 0.3)].iloc[0]
    high = grid[(grid["cost"] == 20.0) & (grid["margin"] == 0.2)].iloc[0]
    assert low["n_targeted"] > high["n_targeted"]
    assert pivot_profit(grid).shape == (3, 2)


def test_scenarios_follow_the_reference_pattern():
    names = [n for n, _, _ in scenario_definitions(12.73, 0.30)]
    assert names[0] == "current" and len(names) == 7
    cate, psi = _scores()
    sc = scenarios(cate, psi, cost=12.73, margin=0.30)
    best = sc[sc["scenario"].str.startswith("best")].iloc[0]
    worst = sc[sc["scenario"].str.startswith("worst")].iloc[0]
    assert best["breakeven"] < sc.iloc[0]["breakeven"] < worst["breakeven"]
    assert best["n_targeted"] >= worst["n_targeted"]


def test_grid_runs_in_dollars_from_zero_to_twice_the_reference_rule():
    costs = grid_costs(1.0, 12.73, steps=9)
    assert costs[0] == 0.0 and costs.max() == pytest.approx(25.46) and 1.0 in costs
    assert grid_costs(40.0, 12.73).max() == 40.0  # the run's own cost is always on the grid
    assert grid_costs(1.0, None).max() == pytest.approx(25.46)
