import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from segtarget.errors import SegtargetError
from segtarget.io import OutputDir
from segtarget.policy.config import PolicyConfig
from segtarget.policy.pipeline import BASELINES, PolicyInputs, build_target_list, run_policy
from segtarget.policy.value import POLICY_COLUMNS
from segtarget.report.section import Figure, Section, Table


def _inputs(n=300, seed=0, **kw):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    e = 1 / (1 + np.exp(-X["b"].to_numpy()))
    T = rng.binomial(1, e)
    tau = np.where(X["a"] > 0, 50.0, -10.0)
    mu0 = 100 + 20 * X["b"].to_numpy()
    Y = mu0 + tau * T + rng.normal(0, 30, n)
    psi = tau + T * (Y - mu0 - tau) / e - (1 - T) * (Y - mu0) / (1 - e)
    cate = tau + rng.normal(0, 10, n)
    cost = pd.DataFrame({"household_id": np.arange(n), "treated": T,
                         "index_campaign_coupon_disc": rng.exponential(4, n) * (rng.random(n) < 0.5),
                         "ever_typeA_pool_coupon_disc": rng.exponential(12, n) * (rng.random(n) < 0.5)})
    base = dict(household_id=np.arange(n) + 1000, Y=Y, T=T, X=X, cate=cate, cate_lower=cate - 15,
                cate_upper=cate + 15, dr_scores=psi, folds=np.arange(n) % 3, propensity=e,
                segment=pd.Series(np.where(X["c"] > 0, "Loyal", "Light")), pre_spend=mu0 + rng.normal(0, 20, n),
                cost_data=cost)
    base.update(kw)
    return PolicyInputs(**base)


def test_run_policy_end_to_end(tmp_path):
    res, sections = run_policy(_inputs(), PolicyConfig(budget_households=50), seed=3, out=OutputDir(tmp_path))
    csv = pd.read_csv(tmp_path / "policy.csv")
    assert list(csv.columns) == POLICY_COLUMNS and set(csv["method"]) == {"dr", "plugin"}
    for name in ("PolicyTree", "DRPolicyTree", "conservative", "current practice", "everyone", "no one",
                 "budget ≤ 50 households"):
        assert name in set(csv["policy"])
    dr = res.policies[res.policies["method"] == "dr"].set_index("policy")
    assert dr.loc["conservative", "n_targeted"] <= dr.loc["CATE > break-even", "n_targeted"]
    candidates = dr.drop(index=list(BASELINES))
    assert res.recommended_policy == candidates["profit"].idxmax()
    h = res.headline
    assert h["improvement"] == pytest.approx(h["recommended_profit"] - h["full_targeting_profit"])
    assert h["improvement_ci"][0] < h["improvement"] < h["improvement_ci"][1]
    assert res.economics.cost > 0 and "index_campaign" in res.economics.cost_rule
    assert set(res.segment_actions["segment"]) == {"Loyal", "Light"}
    assert {"n_treatment", "n_treatment_cuped"} <= set(res.ab_design.columns)
    assert len(res.assignment) == 300 and res.assignment["eg_propensity"].between(0.1, 0.9).all()
    for f in ("policy_comparison", "policy_profit_curve", "policy_sensitivity", "segment_actions"):
        assert (tmp_path / "figures" / f"{f}.png").stat().st_size > 1000
    assert all(isinstance(s, Section) for s in sections) and sections[0].headline["recommended_policy"]
    for block in (b for s in sections for b in s.blocks):
        if isinstance(block, Figure) or (isinstance(block, Table) and block.csv is not None):
            assert (tmp_path / (block.path if isinstance(block, Figure) else block.csv)).exists()
    inp = _inputs()
    targets = build_target_list(inp.household_id, inp.segment, inp.cate, inp.cate_lower, inp.cate_upper,
                                breakeven=res.economics.breakeven, rule=res.target_rule)
    n_contact = (targets["decision"] == "contact").sum()
    if res.target_rule == res.recommended_policy:
        assert n_contact == dr.loc[res.recommended_policy, "n_targeted"]
    assert len(targets) == 300


def test_same_seed_same_numbers(tmp_path):
    cfg = PolicyConfig(cost=5.0)
    a, _ = run_policy(_inputs(seed=1), cfg, seed=9, out=OutputDir(tmp_path / "a"))
    b, _ = run_policy(_inputs(seed=1), cfg, seed=9, out=OutputDir(tmp_path / "b"))
    pd.testing.assert_frame_equal(a.policies, b.policies)
    pd.testing.assert_frame_equal(a.assignment, b.assignment)
    assert a.economics.cost == 5.0


def test_misaligned_inputs_are_rejected(tmp_path):
    with pytest.raises(SegtargetError, match="cate"):
        run_policy(_inputs(cate=np.zeros(10)), PolicyConfig(), seed=0, out=OutputDir(tmp_path))


def test_overlap_population_and_models_without_intervals(tmp_path):
    inp = _inputs(seed=2, cate_lower=np.full(300, np.nan), cate_upper=np.full(300, np.nan))
    res, _ = run_policy(inp, PolicyConfig(cost=5.0, value_population="overlap", trees=False), seed=0,
                        out=OutputDir(tmp_path))
    inside = (inp.propensity >= 0.1) & (inp.propensity <= 0.9)
    assert res.headline["n_evaluated"] == inside.sum() and res.headline["value_population"] == "overlap"
    dr = res.policies[res.policies["method"] == "dr"].set_index("policy")
    assert dr.loc["everyone", "n_targeted"] == inside.sum()
    pd.testing.assert_frame_equal(res.policies, res.policies_overlap)
    assert "conservative" not in dr.index and any("no confidence intervals" in w for w in res.warnings)
    assert (res.segment_actions["n_evaluated"] <= res.segment_actions["n"]).all()


def test_extreme_weights_are_flagged(tmp_path):
    inp = _inputs(seed=4)
    psi = inp.dr_scores.copy()
    psi[:3] = [-2e5, -1.5e5, 9e4]  # three controls with propensity near 1
    res, _ = run_policy(_inputs(seed=4, dr_scores=psi), PolicyConfig(cost=5.0, trees=False), seed=0,
                        out=OutputDir(tmp_path))
    assert any("extreme inverse-propensity weights" in w for w in res.warnings)
    assert res.policies_overlap is not None and (tmp_path / "tables" / "policy_comparison_overlap.csv").exists()
