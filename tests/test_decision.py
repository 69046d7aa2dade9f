"""The one decision path: ``segtarget run`` and ``segtarget causal`` decide alike on the same units and gate; a
unit table's gate is "not testable"; the first screen and the CLI verdict come from the results in memory."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from segtarget.config import load_config
from segtarget.decision import UNIT_TABLE_REASON, make_units, unit_table_gate, verdict_line
from segtarget.errors import SegtargetError
from segtarget.policy.config import PolicyConfig
from segtarget.policy.pipeline import compute_policy
from segtarget.policy.value import POLICY_COLUMNS
from test_policy_pipeline import _inputs


def test_a_unit_tables_gate_is_not_testable_and_the_verdict_never_contacts():
    # every unit gains far more than a contact costs: without a gate the verdict contacts
    inp = _inputs(psi=np.full(300, 200.0))
    assert compute_policy(inp, PolicyConfig(), seed=0).verdict.kind in ("contact everyone", "target this group")
    res = compute_policy(dataclasses.replace(inp, gate=unit_table_gate()), PolicyConfig(), seed=0)
    assert res.verdict.kind == "inconclusive: run this test" and res.verdict.gate_status == "not testable"
    assert UNIT_TABLE_REASON in res.verdict.sentence and "run this test" in res.verdict.sentence
    assert (res.key_results["gate_status"] == "not testable").all()
    assert res.key_results["bracket_profit_lower"].isna().all()  # a unit table has no bracket to quote


def test_first_screen_and_cli_verdict_come_from_the_result_in_memory():
    from segtarget.pipeline import executive_summary

    pol = compute_policy(_inputs(), PolicyConfig(), seed=0)
    summary = executive_summary([], None, None, pol, [])
    assert summary.verdict == pol.verdict.sentence == pol.key_results["verdict_sentence"].iloc[0]
    assert summary.assumption == pol.economics.assumption_line()
    assert summary.key_results["profit"].tolist() == pol.key_results["profit"].tolist()
    assert summary.key_results["follows_verdict"].tolist() == pol.key_results["follows_verdict"].tolist()
    assert verdict_line(pol) == f"verdict: {pol.verdict.sentence}"
    assert verdict_line(None).startswith("verdict: not available")


def test_units_take_the_configured_discount_columns():
    cfg = load_config(None, [])
    d = pd.DataFrame({"t": [0, 1] * 5, "y": np.arange(10.0), "x": np.arange(10.0) % 3,
                      "retailer_discount": np.ones(10)})
    u = make_units(d, treatment="t", outcome="y", covariates=["x"], cfg=cfg)
    assert u.discounts == ("retailer_discount",) and (u.groups == np.arange(10)).all()
    # a unit table without the column decides on margin x sales - cost; the study design must have it
    u = make_units(d.drop(columns="retailer_discount"), treatment="t", outcome="y", covariates=["x"], cfg=cfg,
                   require_discounts=False)
    assert u.discounts == () and u.summary_frame()["discounts"].iloc[0] == "none"
    with pytest.raises(SegtargetError, match="retailer_discount"):
        make_units(d.drop(columns="retailer_discount"), treatment="t", outcome="y", covariates=["x"], cfg=cfg)


@pytest.mark.slow
def test_run_and_causal_decide_alike_on_the_runs_units(small_run, small_source, tmp_path):
    """The run's own units, exported as `segtarget cohort` does and read back as a user table, go through
    `segtarget causal`'s path; given the run's design gate, policy table, key results and verdict are the run's
    (the verdict sentence up to the A/B plan, whose eligible households and weeks need the transactions)."""
    from conftest import FAST_RUN
    from segtarget.io import OutputDir, read_table
    from segtarget.pipeline import CATE_OUTCOMES, run
    from segtarget.policy.abdesign import plan_sentence
    from segtarget.policy.profit import DISCOUNT_OUTCOMES
    from segtarget.table_analysis import analyze_table, cate_and_policy

    cfg = load_config(None, FAST_RUN + [f"run.cache_dir='{small_run.parent / 'cache'}'",
                                        f"data.source='{small_source}'"])
    res = run(cfg)  # every expensive step from the small run's cache
    # the CLI's verdict line is the run directory's verdict sentence
    keys_on_disk = pd.read_csv(small_run / "tables" / "key_results.csv")
    assert verdict_line(res.policy) == f"verdict: {keys_on_disk['verdict_sentence'].iloc[0]}"
    c = res.design
    cols = [*c.unit_key, "treated", *c.covariates, "pre_spend_week", *CATE_OUTCOMES, *DISCOUNT_OUTCOMES]
    c.data[cols].to_parquet(tmp_path / "units.parquet", index=False)
    df = read_table(tmp_path / "units.parquet")
    seed, out = cfg.run.seed, OutputDir(tmp_path / "out")
    ate, _ = analyze_table(df, "treated", list(CATE_OUTCOMES), list(c.covariates), None, seed, cfg.ate, out,
                           cluster="household_id", strata="index_campaign", exclude=DISCOUNT_OUTCOMES)
    _, _, pol = cate_and_policy(df, ate, treatment="treated", outcomes=list(CATE_OUTCOMES), id_col=None, cfg=cfg,
                                seed=seed, out=out, cluster="household_id", pre="pre_spend_week", gate=res.gate)
    run_pol = res.policy
    pd.testing.assert_frame_equal(pol.policies[POLICY_COLUMNS], run_pol.policies[POLICY_COLUMNS],
                                  check_exact=False, rtol=1e-9, atol=1e-9)
    same = [k for k in run_pol.key_results.columns if k != "verdict_sentence"]
    pd.testing.assert_frame_equal(pol.key_results[same], run_pol.key_results[same], check_exact=False, rtol=1e-9,
                                  atol=1e-9)
    v, w = pol.verdict, run_pol.verdict
    assert (v.kind, v.gate_status, v.bracket_profit) == (w.kind, w.gate_status, w.bracket_profit)
    assert v.sentence.removesuffix(plan_sentence(v.ab)) == w.sentence.removesuffix(plan_sentence(w.ab))
    # the A/B plan from the units: profit outcome, sigma and CUPED from the controls, the test's size
    plan = ("caused_discount", "breakeven_with_discount", "n_control_households", "sigma_profit", "cuped_rho",
            "sigma_analysed", "headline_profit_effect", "n_treatment", "n_control")
    assert [v.ab[k] for k in plan] == pytest.approx([w.ab[k] for k in plan], rel=1e-9)
    assert v.ab["sized_for"] == w.ab["sized_for"]
