import dataclasses
import matplotlib

matplotlib.use("Agg")

import dataclasses
import numpy as np
import pandas as pd
import pytest

from segtarget.errors import SegtargetError
from segtarget.io import OutputDir
from segtarget.policy.config import PolicyConfig
from segtarget.policy.pipeline import BASELINES, RECOMMENDED, PolicyInputs, run_policy
from segtarget.policy.profit import EffectScores
from segtarget.policy.value import POLICY_COLUMNS
from segtarget.report.section import Figure, Section, Table


def _inputs(n=300, seed=0, psi=None, **kw):
    """Stacked units (two per household), a known effect, AIPW scores from the true nuisances."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["a", "b", "c"])
    e = 1 / (1 + np.exp(-X["b"].to_numpy()))
    T = rng.binomial(1, e)
    tau = np.where(X["a"] > 0, 50.0, -10.0)
    mu0 = 100 + 20 * X["b"].to_numpy()
    Y = mu0 + tau * T + rng.normal(0, 30, n)
    score = tau + T * (Y - mu0 - tau) / e - (1 - T) * (Y - mu0) / (1 - e)
    disc = rng.normal(0.5, 1.0, n)
    cate = tau + rng.normal(0, 10, n)
    hh = np.arange(n) // 2
    base = dict(household_id=hh + 1000, Y=Y, T=T, X=X, cate=cate, cate_lower=cate - 15, cate_upper=cate + 15,
                scores=EffectScores({"sales": score if psi is None else psi, "retailer_discount": disc}, 1),
                folds=hh % 3, propensity=e, rate_estimate=5.0, rate_se=1.0, index_campaign=np.arange(n) % 2,
                segment=pd.Series(np.where(X["c"] > 0, "Loyal", "Light")), pre_spend=mu0 + rng.normal(0, 20, n),
                contacts_per_week=50.0)
    base.update(kw)
    return PolicyInputs(**base)


def test_run_policy_end_to_end(tmp_path):
    res, sections = run_policy(_inputs(), PolicyConfig(budget_households=50), seed=3, out=OutputDir(tmp_path))
    csv = pd.read_csv(tmp_path / "policy.csv")
    assert list(csv.columns) == POLICY_COLUMNS and set(csv["method"]) == {"dr", "plugin"}
    for name in ("PolicyTree (CATE)", "PolicyTree (DR)", "conservative", "budget ≤ 50 households", RECOMMENDED,
                 *BASELINES):
        assert name in set(csv["policy"])
    h = res.headline
    assert h["value_population"] == "overlap" and h["n_evaluated"] == int(((_inputs().propensity >= 0.1)
                                                                           & (_inputs().propensity <= 0.9)).sum())
    assert h["recommended_ci"][0] < h["recommended_profit"] < h["recommended_ci"][1]
    keys = pd.read_csv(tmp_path / "tables" / "key_results.csv")
    assert (keys["verdict"] == res.verdict.kind).all() and keys["verdict_sentence"].iloc[0] == res.verdict.sentence
    assign = pd.read_csv(tmp_path / "tables" / "policy_assignments.csv")
    assert {"household_id", "index_campaign", "policy", "contact", "recommended"} <= set(assign.columns)
    assert set(assign.loc[assign["recommended"], "policy"]) == {RECOMMENDED}
    assert assign.groupby("policy").size().eq(300).all()
    outside = assign.loc[~assign["in_population"], "contact"]
    assert len(outside) > 0 and outside.isna().all()
    assert {"n_treatment", "weeks", "cuped_rho", "power_headline_eligible"} <= set(res.verdict.ab)
    assert set(res.segment_actions["segment"]) == {"Loyal", "Light"}
    assert {"profit_per_contact", "gate_ci_lower", "n_households"} <= set(res.segment_actions.columns)
    for f in ("policy_comparison", "policy_profit_curve", "policy_sensitivity", "segment_actions"):
        assert (tmp_path / "figures" / f"{f}.png").stat().st_size > 1000
    assert all(isinstance(s, Section) for s in sections) and sections[0].headline["verdict"] == res.verdict.kind
    for block in (b for s in sections for b in s.blocks):
        if isinstance(block, Figure) or (isinstance(block, Table) and block.csv is not None):
            assert (tmp_path / (block.path if isinstance(block, Figure) else block.csv)).exists()


def test_the_verdict_uses_the_combined_ranking_p_when_given(tmp_path):
    # rate_estimate / rate_se alone say p = 0 (z = 5); the ranking test's combined p (2 x median) says 0.3
    text = "AUTOC ...; one-sided p = median of 10 household-split p-values ×2"
    res, _ = run_policy(_inputs(rate_p=0.3, rate_test=text), PolicyConfig(trees=False), seed=0,
                        out=OutputDir(tmp_path))
    assert res.verdict.rate_p_one_sided == 0.3 and res.verdict.kind != "target this group"
    keys = pd.read_csv(tmp_path / "tables" / "key_results.csv")
    assert (keys["ranking_p_one_sided"] == 0.3).all() and (keys["ranking_test"] == text).all()
    res, _ = run_policy(_inputs(), PolicyConfig(trees=False), seed=0, out=OutputDir(tmp_path / "b"))
    assert res.verdict.rate_p_one_sided < 1e-6  # without rate_p: one_sided_p(rate_estimate, rate_se)


def test_recommended_value_is_the_held_out_value_of_the_choice(tmp_path):
    res, _ = run_policy(_inputs(seed=5), PolicyConfig(trees=False), seed=0, out=OutputDir(tmp_path))
    dr = res.policies[res.policies["method"] == "dr"].set_index("policy")
    assert dr.loc[RECOMMENDED, "profit"] == pytest.approx(res.selection.value)
    # the maximum of the candidates on all data is optimistic; the held-out procedure cannot exceed it
    assert res.selection.value <= dr.drop(index=RECOMMENDED)["profit"].max() + 1e-9


def test_margin_change_needs_no_new_scores(tmp_path):
    """psi_profit = m psi_sales - psi_disc: a new margin is a new linear combination of the same scores."""
    inp = _inputs(seed=6)
    a, _ = run_policy(inp, PolicyConfig(margin=0.3, trees=False), seed=0, out=OutputDir(tmp_path / "a"))
    b, _ = run_policy(inp, PolicyConfig(margin=0.6, trees=False), seed=0, out=OutputDir(tmp_path / "b"))
    ev = lambda r: r.policies.query("method == 'dr' and policy == 'everyone'").iloc[0]
    m = a.headline["n_evaluated"]
    sales = ev(a)["incremental_revenue"]
    assert ev(b)["incremental_revenue"] == pytest.approx(sales)
    assert ev(b)["profit"] - ev(a)["profit"] == pytest.approx(0.3 * sales) and m == b.headline["n_evaluated"]


def test_same_seed_same_numbers(tmp_path):
    cfg = PolicyConfig(cost=5.0)
    a, _ = run_policy(_inputs(seed=1), cfg, seed=9, out=OutputDir(tmp_path / "a"))
    b, _ = run_policy(_inputs(seed=1), cfg, seed=9, out=OutputDir(tmp_path / "b"))
    pd.testing.assert_frame_equal(a.policies, b.policies)
    pd.testing.assert_frame_equal(a.assignments, b.assignments)
    assert a.verdict == b.verdict


def test_misaligned_inputs_are_rejected(tmp_path):
    with pytest.raises(SegtargetError, match="cate"):
        run_policy(_inputs(cate=np.zeros(10)), PolicyConfig(), seed=0, out=OutputDir(tmp_path))


def test_all_population_and_models_without_intervals(tmp_path):
    inp = _inputs(seed=2, cate_lower=np.full(300, np.nan), cate_upper=np.full(300, np.nan))
    res, _ = run_policy(inp, PolicyConfig(value_population="all", trees=False), seed=0, out=OutputDir(tmp_path))
    assert res.headline["n_evaluated"] == 300
    dr = res.policies[res.policies["method"] == "dr"].set_index("policy")
    assert dr.loc["everyone", "n_targeted"] == 300 and "conservative" not in dr.index


def test_concentration_is_reported_with_the_value_without_the_top_units(tmp_path):
    inp = _inputs(seed=4)
    psi = inp.scores.scores["sales"].copy()
    inside = np.flatnonzero((inp.propensity >= 0.1) & (inp.propensity <= 0.9))
    psi[inside[:2]] = [4e4, 3e4]  # two extreme scores
    res, _ = run_policy(_inputs(seed=4, psi=psi), PolicyConfig(trees=False), seed=0, out=OutputDir(tmp_path))
    row = res.concentration.set_index("policy").loc["everyone"]
    assert row["top_share"] > 0.5 and row["value_without_top"] < row["value"] - 0.3 * 6e4
    assert any("carry" in w for w in res.warnings)


def test_nested_cate_rows_decide_for_their_own_fold(tmp_path):
    """With a nested CATE, fold k's decisions come from row k: a row of junk on the other folds' units cannot
    change what fold k is valued on, only which policy is chosen for it."""
    inp = _inputs(seed=7)
    K = 3
    nested = np.tile(inp.cate, (K, 1))
    res, _ = run_policy(dataclasses.replace(inp, cate_nested=nested, cate_lower_nested=nested - 15),
                        PolicyConfig(trees=True), seed=0, out=OutputDir(tmp_path / "a"))
    plain, _ = run_policy(inp, PolicyConfig(trees=True), seed=0, out=OutputDir(tmp_path / "b"))
    # identical rows = the plain out-of-fold CATE: the same choice and the same held-out value
    assert res.selection.value == pytest.approx(plain.selection.value)
    # row 0 says the opposite about every unit outside fold 0: fold 0's choice is made from it
    flipped = nested.copy()
    flipped[0, inp.folds != 0] = -flipped[0, inp.folds != 0]
    alt, _ = run_policy(dataclasses.replace(inp, cate_nested=flipped, cate_lower_nested=flipped - 15),
                        PolicyConfig(trees=False), seed=0, out=OutputDir(tmp_path / "c"))
    base, _ = run_policy(dataclasses.replace(inp, cate_nested=nested, cate_lower_nested=nested - 15),
                         PolicyConfig(trees=False), seed=0, out=OutputDir(tmp_path / "d"))
    assert alt.selection.chosen[1] == base.selection.chosen[1] and alt.selection.chosen[2] == base.selection.chosen[2]
    assert alt.selection.chosen[0] != base.selection.chosen[0]


def test_the_ab_plan_is_sized_on_the_profit_outcome_of_every_control_household():
    from segtarget.policy.abdesign import household_moments
    from segtarget.policy.pipeline import compute_policy

    disc = pd.DataFrame({"retailer_discount": np.random.default_rng(1).exponential(20.0, 300)})
    inp = _inputs(discount_outcomes=disc, eligible_households=120, panel_households=400)
    res = compute_policy(inp, PolicyConfig(trees=False), seed=0)
    ab, h = res.verdict.ab, res.headline
    # the headline effect it is sized for is the "contact everyone" profit per valued unit
    assert ab["headline_profit_effect"] == pytest.approx(h["everyone_profit"] / h["n_evaluated"])
    ctrl = inp.T == 0
    sd, rho, n_hh = household_moments(0.3 * inp.Y[ctrl] - disc["retailer_discount"].to_numpy()[ctrl],
                                      inp.pre_spend[ctrl], inp.household_id[ctrl])
    assert ab["sigma_profit"] == pytest.approx(sd) and ab["cuped_rho"] == pytest.approx(rho)
    assert ab["n_control_households"] == n_hh < ctrl.sum()
    assert ab["eligible_households"] == 120 and ab["panel_households"] == 400
    assert ab["breakeven_with_discount"] == pytest.approx((1.0 + ab["caused_discount"]) / 0.3)
    assert res.ab_design.set_index("effect").loc["headline estimate", "power_eligible"] == pytest.approx(
        ab["power_headline_eligible"])


def test_inputs_from_a_cate_result_feed_compute_policy():
    from types import SimpleNamespace

    from scipy.stats import norm

    from segtarget.policy.pipeline import compute_policy

    full = _inputs()
    oof = pd.DataFrame({"cate": full.cate, "cate_lower": full.cate_lower, "cate_upper": full.cate_upper})
    cate = SimpleNamespace(oof=oof, dr_scores=full.scores.scores["sales"],
                           nuisances=SimpleNamespace(folds=full.folds, e_raw=full.propensity),
                           ranking=SimpleNamespace(estimate=5.0, se=1.0, p_value=0.01, description="one split"))
    inp = PolicyInputs.from_cate(cate, Y=full.Y, T=full.T, X=full.X.to_numpy(), groups=full.household_id)
    assert np.array_equal(inp.household_id, full.household_id) and np.array_equal(inp.cate, full.cate)
    assert list(inp.scores.scores) == ["sales"] and inp.rate_p == 0.01 and inp.rate_test == "one split"
    assert np.array_equal(PolicyInputs.from_cate(cate, Y=full.Y, T=full.T, X=full.X).household_id, np.arange(300))
    with_gate = PolicyInputs.from_cate(cate, Y=full.Y, T=full.T, X=full.X, segment=full.segment)
    assert with_gate.segment is full.segment  # further fields by keyword
    res = compute_policy(inp, PolicyConfig(), random_state=3)
    assert res.verdict.sentence and set(res.summary_frame()["method"]) == {"dr", "plugin"}
    row = res.summary_frame().iloc[0]
    assert row["p_value"] == pytest.approx(2 * norm.sf(abs(row["profit"]) / res.policies["profit_se"].iloc[0]))
