"""The verdict's rules, and the decision on three simulated regimes with a known truth."""

import numpy as np
import pandas as pd
import pytest

from segtarget.causal.cate.rate import evaluate_ranking
from segtarget.io import OutputDir
from segtarget.policy.abdesign import decision_test, plan_sentence
from segtarget.policy.config import PolicyConfig
from segtarget.policy.pipeline import PolicyInputs, run_policy
from segtarget.policy.profit import EffectScores
from segtarget.policy.verdict import VERDICTS, decide, one_sided_p

def _ab():
    """A real decision test (the verdict states its plan_sentence)."""
    rng = np.random.default_rng(5)
    pre = rng.gamma(2.0, 50.0, 3000)
    y = 2.0 * pre + rng.normal(0, 150, 3000)
    return decision_test(y, pre, margin=0.3, cost=1.0, caused_discount=0.2, headline_sales=20.0,
                         planning_sales=9.0, contacts_per_week=120.0, eligible=800, panel=2400)


AB = _ab()


def _decide(rate_p=0.5, gain_ci=(-5.0, 5.0), everyone_ci=(-10.0, 10.0)):
    return decide(rate_p=rate_p, gain=sum(gain_ci) / 2, gain_ci=gain_ci, everyone=sum(everyone_ci) / 2,
                  everyone_ci=everyone_ci, target_label="top 30%", share=0.3, n_units=500, ab=AB)


def test_target_needs_both_the_ranking_test_and_a_positive_gain():
    assert _decide(rate_p=0.01, gain_ci=(1.0, 9.0)).kind == "target this group"
    assert _decide(rate_p=0.20, gain_ci=(1.0, 9.0)).kind == VERDICTS[3]  # ranking test fails
    assert _decide(rate_p=0.01, gain_ci=(-1.0, 9.0)).kind == VERDICTS[3]  # gain CI touches 0
    assert _decide(rate_p=float("nan"), gain_ci=(1.0, 9.0)).kind == VERDICTS[3]


def test_uniform_verdicts_and_the_test_to_run():
    assert _decide(everyone_ci=(2.0, 30.0)).kind == "contact everyone"
    assert _decide(everyone_ci=(-30.0, -2.0)).kind == "contact no one"
    v = _decide()
    assert v.kind == "inconclusive: run this test"
    assert v.sentence.startswith("Inconclusive: run this test.") and v.sentence.endswith("; " + plan_sentence(AB))
    assert f"{AB['n_treatment']:,} contacted" in v.sentence and "more than the 800 eligible households" in v.sentence
    assert f"${AB['breakeven_with_discount']:,.2f}" in v.sentence


def test_one_sided_p():
    assert one_sided_p(1.645, 1.0) == pytest.approx(0.05, abs=1e-3)
    assert one_sided_p(-2.0, 1.0) > 0.95 and np.isnan(one_sided_p(1.0, 0.0))


def _regime(effect: str, seed: int, n: int = 2000):
    """Observational data with selection on x1; AIPW scores from the true nuisances; a noisy CATE model."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 3)), columns=["x0", "x1", "x2"])
    e = 1 / (1 + np.exp(-0.8 * X["x1"].to_numpy()))
    T = rng.binomial(1, e)
    tau = {"none": np.zeros(n), "uniform": np.full(n, 30.0),
           "heterogeneous": np.where(X["x0"] > 0, 60.0, -40.0)}[effect]
    mu0 = 200 + 40 * X["x1"].to_numpy()
    Y = mu0 + tau * T + rng.normal(0, 80, n)
    psi = tau + T * (Y - mu0 - tau) / e - (1 - T) * (Y - mu0) / (1 - e)
    cate = tau + rng.normal(0, 15, n) + (0 if effect != "none" else 20 * X["x2"].to_numpy())
    half = rng.random(n) < 0.5
    autoc = evaluate_ranking(psi[~half], cate[~half], n_boot=200, seed=seed).autoc
    inp = PolicyInputs(household_id=np.arange(n), Y=Y, T=T, X=X, cate=cate, cate_lower=cate - 30,
                       cate_upper=cate + 30, scores=EffectScores({"sales": psi, "retailer_discount": np.zeros(n)}, 1),
                       folds=np.arange(n) % 5, propensity=e, rate_estimate=autoc.estimate, rate_se=autoc.se,
                       pre_spend=mu0 / 10 + rng.normal(0, 5, n), contacts_per_week=400.0)
    return inp, tau


EXPECTED = {"none": {"inconclusive: run this test", "contact no one"}, "uniform": {"contact everyone"},
            "heterogeneous": {"target this group"}}


@pytest.mark.parametrize("effect", ["none", "uniform", "heterogeneous"])
def test_three_regimes_verdict_and_coverage(effect, tmp_path):
    cfg = PolicyConfig(cost=1.0, margin=0.3, trees=False)
    inp, tau = _regime(effect, seed=11)
    res, _ = run_policy(inp, cfg, seed=0, out=OutputDir(tmp_path))
    assert res.verdict.kind in EXPECTED[effect]
    m = (inp.propensity >= 0.1) & (inp.propensity <= 0.9)
    r_true = (0.3 * tau - 1.0)[m]
    truth = float((res.selection.pi * r_true).sum())
    lo, hi = res.headline["recommended_ci"]
    assert lo <= truth <= hi
    if effect == "heterogeneous":
        assert truth >= 0.5 * np.clip(r_true, 0, None).sum()


def test_a_design_gate_in_doubt_blocks_every_confident_verdict_unless_the_whole_bracket_clears():
    why = ("the backcast placebo fails in trial 8",)
    for kw in ({"rate_p": 0.01, "gain_ci": (1.0, 9.0)}, {"everyone_ci": (2.0, 30.0)}, {"everyone_ci": (-30.0, -2.0)}):
        for status in ("failed", "underpowered", "not testable"):
            v = decide(rate_p=kw.get("rate_p", 0.5), gain=1.0, gain_ci=kw.get("gain_ci", (-5.0, 5.0)), everyone=1.0,
                       everyone_ci=kw.get("everyone_ci", (-10.0, 10.0)), target_label="top 30%", share=0.3,
                       n_units=500, ab=AB, gate_status=status, gate_reasons=why, bracket_profit=(-4.0, 9.0))
            assert v.kind == "inconclusive: run this test" and why[0] in v.sentence
            assert "-$4.00 and $9.00" in v.sentence
    ok = _decide(everyone_ci=(2.0, 30.0))
    assert decide(rate_p=0.5, gain=0.0, gain_ci=(-5.0, 5.0), everyone=16.0, everyone_ci=(2.0, 30.0),
                  target_label="x", share=1.0, n_units=500, ab=AB, gate_status="passed").kind == ok.kind
    # a gate in doubt never contacts, not even when both ends of the bracket clear break-even (a persistent trait
    # can bias both upward); it can still say "contact no one" when both ends lose
    both = dict(gain=1.0, everyone=16.0, target_label="x", share=1.0, n_units=500, ab=AB, gate_status="failed")
    v = decide(rate_p=0.5, gain_ci=(-5.0, 5.0), everyone_ci=(2.0, 30.0), bracket_profit=(0.5, 9.0), **both)
    assert v.kind == "inconclusive: run this test" and "above break-even under both assumptions" in v.sentence
    assert decide(rate_p=0.5, gain_ci=(-5.0, 5.0), everyone_ci=(-30.0, -2.0), bracket_profit=(-9.0, -0.5),
                  **both).kind == "contact no one"
    assert decide(rate_p=0.001, gain_ci=(1.0, 9.0), everyone_ci=(-10.0, 10.0), bracket_profit=(0.5, 9.0),
                  **both).kind != "target this group"


def test_a_passed_gate_still_bounds_the_bias_every_confident_verdict_must_clear():
    """A pass bounds the bias, it does not make it 0: every confident verdict must hold with the profit a bias of
    (point, SE) per contacted unit could move (shift linear, uncertainties in quadrature); without it, no change."""
    kw = dict(rate_p=0.5, gain=0.0, gain_ci=(-5.0, 5.0), target_label="x", share=1.0, n_units=500, ab=AB,
              gate_status="passed")
    assert decide(everyone=16.0, everyone_ci=(2000.0, 30000.0), bias_allowance=(3.0, 0.0), **kw).kind == \
        "contact everyone"
    v = decide(everyone=16.0, everyone_ci=(1000.0, 30000.0), bias_allowance=(3.0, 0.0), **kw)  # 1000 - 1500 < 0
    assert v.kind == "inconclusive: run this test" and "up to $3.00 of profit a contact" in v.sentence
    # the bias's own uncertainty: a CI of half-width 14,500 (SE ~7,398) with a bias SE of 20 x 500 = 10,000
    assert decide(everyone=16.0, everyone_ci=(1000.0, 30000.0), bias_allowance=(0.0, 20.0), **kw).kind == VERDICTS[3]
    assert decide(everyone=16.0, everyone_ci=(1000.0, 30000.0), bias_allowance=(0.0, 1.0), **kw).kind == \
        "contact everyone"
    assert decide(everyone=-16.0, everyone_ci=(-30000.0, -1000.0), bias_allowance=(3.0, 0.0), **kw).kind == \
        VERDICTS[3]
    assert decide(everyone=16.0, everyone_ci=(1000.0, 30000.0), **kw).kind == "contact everyone"
    target = dict(kw, rate_p=0.01, share=0.3, gain=5000.0, everyone=0.0, everyone_ci=(-10.0, 10.0))
    del target["gain_ci"]
    # a rule differs from the best uniform action on at most max(share, 1 - share) of the units: 0.7 x 500 x $1
    assert decide(gain_ci=(400.0, 9000.0), bias_allowance=(1.0, 0.0), **target).kind == "target this group"
    assert decide(gain_ci=(300.0, 9000.0), bias_allowance=(1.0, 0.0), **target).kind == VERDICTS[3]
