import numpy as np
import pytest

from segtarget.policy.segment_actions import segment_actions


def test_actions_follow_the_documented_rules():
    rng = np.random.default_rng(0)
    n = 200
    seg = np.repeat(["win", "lose", "same", "unsure"], n)
    psi = np.concatenate([rng.normal(100, 30, n), rng.normal(-50, 30, n), rng.normal(10, 300, n),
                          rng.normal(10, 300, n)])
    T = np.concatenate([np.ones(n // 2), np.zeros(n // 2)] * 4)  # current rate 0.5 everywhere
    pi = np.concatenate([np.ones(n), np.zeros(n), (np.arange(n) < n // 2), np.ones(n)]).astype(float)
    e = np.full(4 * n, 0.5)
    e[:n // 4] = 0.97
    out = segment_actions(seg, T, psi, psi, e, pi, breakeven=10.0, rate_tolerance=0.1).set_index("segment")
    assert out.loc["win", "action"] == "Expand" and out.loc["win", "recommended_rate"] == 1.0
    assert out.loc["lose", "action"] == "Reduce" and out.loc["lose", "recommended_rate"] == 0.0
    assert out.loc["same", "action"] == "Maintain" and out.loc["same", "recommended_rate"] == 0.5
    assert out.loc["unsure", "action"] == "Test & Learn" and out.loc["unsure", "recommended_rate"] == 1.0
    assert out.loc["win", "share_in_overlap"] == pytest.approx(0.75)
    assert out.loc["win", "current_rate"] == 0.5
    g = psi[:n]
    assert out.loc["win", "gate"] == pytest.approx(g.mean())
    assert out.loc["win", "gate_se"] == pytest.approx(g.std(ddof=1) / np.sqrt(n))
    assert out.loc["lose", "share_above_breakeven"] == pytest.approx(np.mean(psi[n:2 * n] > 10))


def test_profit_reward_and_household_clusters_drive_the_action():
    rng = np.random.default_rng(1)
    n = 300
    psi = rng.normal(40, 60, n)  # the sales effect clears break-even ...
    disc = np.full(n, 15.0)  # ... but the caused discount eats the margin
    reward = 0.3 * psi - disc - 1.0
    hh = np.arange(n) // 3  # three units per household
    out = segment_actions(np.full(n, "s"), np.zeros(n), psi, psi, np.full(n, 0.5), np.zeros(n), breakeven=1 / 0.3,
                          reward=reward, clusters=hh).iloc[0]
    assert out["gate_ci_lower"] > 1 / 0.3 and out["profit_ci_upper"] < 0 and out["action"] == "Reduce"
    assert out["n_households"] == 100 and out["profit_per_contact"] == pytest.approx(reward.mean())
    unclustered = segment_actions(np.full(n, "s"), np.zeros(n), psi, psi, np.full(n, 0.5), np.zeros(n),
                                  breakeven=1 / 0.3, reward=reward).iloc[0]
    assert unclustered["gate_se"] == pytest.approx(psi.std(ddof=1) / np.sqrt(n))
