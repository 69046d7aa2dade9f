"""The decision validated on planted campaigns with a known truth (no / uniform / heterogeneous effect).

For one planted source (:mod:`segtarget.causal.validation.planted`) the decision runs as in the one run, with cheaper
learners: study design -> cross-fitted nuisances -> AIPW scores of sales and retailer discount averaged
over splits -> an out-of-fold and a nested out-of-fold CATE of one zoo learner (default the S-learner: of
the zoo it ranked the planted households best and fastest, see RESULTS.md) and its ranking test
(:mod:`segtarget.causal.cate.ranking`: refit on repeated household halves, AUTOC on the other halves' valued
units, p = 2 x median) -> :func:`segtarget.policy.pipeline.run_policy`.
The planted truth gives every unit's true effect on sales and on the retailer discount, hence the true
profit of any decision vector: ``sum_i pi_i (m tau_sales_i - tau_disc_i - c)`` over the valued units, and
the oracle's (contact exactly the units whose true profit is positive).

What is checked (benchmarks/RESULTS.md "Decision"): the verdict per regime (:func:`verdict_right`), the
recommended policy's held-out value and CI against its true value, and its true profit against the oracle's.

Benchmark code, not part of the package: bench_decision.py, bench_evidence.py and bench_ranking.py import it
(scripts in this directory), and tests/test_policy_regimes.py through the benchmarks path tests/conftest.py adds.
"""

from __future__ import annotations

from dataclasses import dataclass

from pathlib import Path

import numpy as np
import pandas as pd

from segtarget.io import OutputDir
from segtarget.policy.config import PolicyConfig
from segtarget.policy.pipeline import PolicyInputs, ranking_inputs, run_policy
from segtarget.policy.profit import averaged_scores, grouped_folds

EXPECTED = {"none": ("contact no one", "inconclusive: run this test"), "uniform": ("contact everyone",),
            "heterogeneous": ("target this group",)}


def verdict_right(effect: str, verdict: str, *, truth: float, everyone_truth: float) -> bool:
    """Whether the verdict is the right decision given the planted truth.

    none: never a confident contact. heterogeneous: "target this group" with a true profit above 0.
    uniform: "contact everyone" when contacting everyone truly pays, "contact no one" when it truly loses (a small
    lift at a material contact cost) - or "target this group" when the targeted policy truly earns at least as
    much as contacting everyone, and more than 0: a uniform *percentage* lift is not a uniform dollar effect (it
    grows with spend), so at a material contact cost the oracle itself contacts only part of the cohort.
    """
    if effect == "uniform" and verdict == "target this group":
        return truth >= everyone_truth and truth > 0
    if verdict == "target this group":
        return effect == "heterogeneous" and truth > 0
    if effect == "uniform":
        return verdict == ("contact everyone" if everyone_truth > 0 else "contact no one")
    return verdict in EXPECTED[effect]


def verdict_truth(verdict: str, *, truth: float, everyone_truth: float) -> float:
    """What following the verdict truly earns: everyone's profit, the targeted policy's, or nothing."""
    return {"contact everyone": everyone_truth, "target this group": truth}.get(verdict, 0.0)


def verdict_safe(verdict: str, *, truth: float, everyone_truth: float) -> bool:
    """The action the verdict implies loses no money in truth (doing nothing until a test is run is safe)."""
    return verdict_truth(verdict, truth=truth, everyone_truth=everyone_truth) >= 0


@dataclass(frozen=True)
class RegimeResult:
    effect: str
    verdict: str
    verdict_ok: bool  # see verdict_right
    verdict_safe: bool  # see verdict_safe
    estimate: float  # held-out DR value of the recommended procedure
    ci: tuple[float, float]
    truth: float  # its true profit on the same units
    covered: bool
    everyone_estimate: float
    everyone_truth: float
    oracle: float  # true profit of the oracle on the valued units
    share_of_oracle: float
    n_units: int
    recommended: str
    verdict_truth: float = float("nan")  # true profit of the action the verdict names (0 for no one / a test)
    rate_p: float = float("nan")  # one-sided p of the ranking test (2 x median over household splits)
    gain_ci: tuple[float, float] = (float("nan"), float("nan"))  # held-out gain over the best uniform action
    gate_status: str = "not run"  # the design gate's status (causal/design/gate.py)
    pattern: str = ""  # the selection pattern the gate's two tests point to
    att_truth: float = float("nan")  # true ATT on sales over the treated units
    interval: tuple[float, float] = (float("nan"), float("nan"))  # reported ATT interval (bracket unless passed)
    interval_covered: bool = False
    confident_wrong: bool = False  # a confident contact ("everyone" or "target") that truly earns <= 0

    def summary_frame(self) -> pd.DataFrame:
        d = self.__dict__.copy()
        d["ci_lower"], d["ci_upper"] = d.pop("ci")
        d["gain_lower"], d["gain_upper"] = d.pop("gain_ci")
        d["interval_lower"], d["interval_upper"] = d.pop("interval")
        return pd.DataFrame([d])


@dataclass(frozen=True)
class PlantedCohort:
    """The one run's study design on a (planted) source, its cross-fitted nuisances and averaged AIPW scores."""

    cohort: object  # causal.design.study result (data, covariates, windows)
    T: np.ndarray
    Y: np.ndarray  # sales in the campaign window
    groups: np.ndarray  # household id per unit
    folds: np.ndarray  # grouped by household
    nuis: object  # Nuisances of sales
    scores: object  # EffectScores of sales and the retailer discount

    @property
    def X(self) -> pd.DataFrame:
        return self.cohort.data[list(self.cohort.covariates)]


def planted_cohort(tables, *, seed: int = 0, repeats: int = 2, n_folds: int = 5, clip: float = 0.01,
                   design=None) -> PlantedCohort:
    """Design (``design``: a DesignConfig, default the run's) -> cross-fitted nuisances (grouped folds) -> AIPW
    scores averaged over ``repeats`` splits."""
    from segtarget.causal.config import DesignConfig
    from segtarget.causal.design.study import build_design
    from segtarget.causal.nuisance import crossfit_nuisances

    cohort = build_design(tables, design or DesignConfig())
    d = cohort.data
    Xa, T, Y = d[list(cohort.covariates)].to_numpy(float), d["treated"].to_numpy(int), d["purchase_amount"].to_numpy(float)
    groups = d["household_id"].to_numpy()
    folds = grouped_folds(T, groups, n_folds, seed)
    nuis = crossfit_nuisances(Y, T, Xa, random_state=seed, clip=(clip, 1 - clip), folds=folds)
    scores = averaged_scores({"sales": Y, "retailer_discount": d["retailer_discount"].to_numpy(float)}, T, Xa,
                             {"sales": nuis}, groups=groups, repeats=repeats, n_folds=n_folds, seed=seed,
                             clip=(clip, 1 - clip))
    return PlantedCohort(cohort, T, Y, groups, folds, nuis, scores)


def planted_ranking_test(pc: PlantedCohort, *, model: str = "s", seed: int = 0, overlap=(0.1, 0.9),
                         n_splits: int = 10):
    """The one run's ranking test (causal/cate/ranking.py) for the learner ``model``, fixed before seeing the
    data, with its default parameters: refit on ``n_splits`` household halves, judged on the valued units."""
    from segtarget.causal.cate.config import CateConfig
    from segtarget.causal.cate.ranking import ranking_test
    from segtarget.causal.cate.zoo import default_params

    return ranking_test(model, default_params(model, CateConfig()), pc.Y, pc.T, pc.X.to_numpy(float),
                        pc.scores.scores["sales"], propensity=pc.nuis.e_raw, overlap=overlap, groups=pc.groups,
                        n_splits=n_splits, seed=seed)


def decision_inputs(tables, *, seed: int = 0, repeats: int = 2, n_folds: int = 5, model: str = "s",
                    clip: float = 0.01, overlap=(0.1, 0.9), gate: bool = True,
                    ranking_splits: int = 10, design=None) -> tuple[PolicyInputs, pd.DataFrame]:
    """PolicyInputs for ``tables`` (the one run's causal steps, with cheap learners) and the cohort data."""
    from segtarget.causal.cate.nested import nested_oof_cate
    from segtarget.causal.cate.zoo import default_params, oof_cate_many
    from segtarget.causal.cate.config import CateConfig
    from segtarget.causal.config import AteConfig, DesignConfig
    from segtarget.causal.design.gate import compute_gate

    pc = planted_cohort(tables, seed=seed, repeats=repeats, n_folds=n_folds, clip=clip, design=design)
    d, X, T, Y, groups, nuis = pc.cohort.data, pc.X, pc.T, pc.Y, pc.groups, pc.nuis
    Xa = X.to_numpy(float)
    params = default_params(model, CateConfig())
    oof = oof_cate_many({model: params}, Y, T, Xa, pc.folds, seed, n_jobs=1)[model]
    nested = nested_oof_cate(model, params, seed, Y, T, Xa, pc.folds, (oof.cate, oof.lower, oof.upper))
    rt = planted_ranking_test(pc, model=model, seed=seed, overlap=overlap, n_splits=ranking_splits)
    dg = (compute_gate(tables, pc.cohort, design or DesignConfig(), AteConfig(folds=n_folds, clip=clip), seed)
          if gate else None)
    inp = PolicyInputs(household_id=groups, Y=Y, T=T, X=X.reset_index(drop=True), cate=oof.cate,
                       cate_lower=oof.lower, cate_upper=oof.upper, scores=pc.scores, folds=pc.folds,
                       propensity=nuis.e_raw, **ranking_inputs(rt),
                       index_campaign=d["index_campaign"].to_numpy(), pre_spend=d["pre_spend_week"].to_numpy(float),
                       gate=dg, cate_nested=nested.cate, cate_lower_nested=nested.lower)
    return inp, d


def run_regime(planted, *, cfg: PolicyConfig, out, seed: int = 0, repeats: int = 2,
               model: str = "s", gate: bool = True, design=None) -> RegimeResult:
    """Run the decision on a planted source and score it against the planted truth."""
    from segtarget.causal.validation.planted import true_effects

    inp, d = decision_inputs(planted.tables, seed=seed, repeats=repeats, model=model, overlap=cfg.overlap,
                             gate=gate, design=design)
    res, _ = run_policy(inp, cfg, random_state=seed, out=OutputDir(Path(out)))
    truth = true_effects(planted, d[["household_id", "index_campaign"]])
    r_true = cfg.margin * truth["tau_sales"].to_numpy() - truth["tau_retailer_discount"].to_numpy() - cfg.contact_cost
    e = np.asarray(inp.propensity)
    m = (e >= cfg.overlap[0]) & (e <= cfg.overlap[1]) if cfg.value_population == "overlap" else np.ones(len(e), bool)
    rt = r_true[m]
    h = res.headline
    true_rec = float((res.selection.pi * rt).sum())
    oracle = float(np.clip(rt, 0, None).sum())
    lo, hi = h["recommended_ci"]
    treated = d["treated"].to_numpy() == 1
    if inp.gate is not None and inp.gate.sample is not None:
        treated &= inp.gate.sample  # the units the gate's interval speaks for (propensity in its band)
    att = float(truth["tau_sales"].to_numpy()[treated].mean())
    ilo, ihi = inp.gate.interval if inp.gate is not None else (np.nan, np.nan)
    v_truth = verdict_truth(res.verdict.kind, truth=true_rec, everyone_truth=float(rt.sum()))
    return RegimeResult(
        effect=planted.spec.effect, verdict=res.verdict.kind,
        verdict_ok=verdict_right(planted.spec.effect, res.verdict.kind, truth=true_rec, everyone_truth=float(rt.sum())),
        verdict_safe=verdict_safe(res.verdict.kind, truth=true_rec, everyone_truth=float(rt.sum())),
        estimate=h["recommended_profit"],
        ci=(lo, hi), truth=true_rec, covered=lo <= true_rec <= hi, everyone_estimate=h["everyone_profit"],
        everyone_truth=float(rt.sum()), oracle=oracle, share_of_oracle=true_rec / oracle if oracle > 0 else np.nan,
        n_units=int(m.sum()), recommended=res.recommended_policy, verdict_truth=v_truth,
        gate_status=inp.gate.status if inp.gate is not None else "not run",
        pattern=inp.gate.pattern if inp.gate is not None else "", att_truth=att, interval=(ilo, ihi),
        interval_covered=bool(ilo <= att <= ihi),
        confident_wrong=res.verdict.kind in ("contact everyone", "target this group") and v_truth <= 0,
        rate_p=float(res.verdict.rate_p_one_sided), gain_ci=tuple(map(float, res.selection.gain_ci)))

