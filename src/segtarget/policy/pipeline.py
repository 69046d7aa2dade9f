"""The policy stage of the one run: economics, policies, honest value, curves, segment actions, A/B design.

``run_policy`` takes the out-of-fold CATE of the selected model, the AIPW scores and folds from the causal
stage, values every policy on held-out units by DR (plug-in beside it), recommends the policy with the
largest DR profit among the targeting rules (baselines excluded), writes its tables and figures and
returns a :class:`PolicyResult` plus the report sections.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import require
from ..io import OutputDir, atomic_write_table
from ..report.section import Section
from .abdesign import assignment_frame, design_table, strata_table
from .config import PolicyConfig, validate_policy_config
from .curves import pivot_profit, profit_curve, scenarios, sensitivity_grid, share_above
from .economics import Economics, make_economics
from .rules import standard_policies
from .segment_actions import segment_actions
from .targets import build_target_list, parse_rule
from .trees import TreePolicy, crossfit_tree_policy
from .value import POLICY_COLUMNS, profit_difference, value_frame

__all__ = ["PolicyInputs", "PolicyResult", "run_policy", "build_target_list"]

BASELINES = ("current practice", "everyone", "no one")


@dataclass(frozen=True)
class PolicyInputs:
    """Per-household arrays from the causal stage (all aligned, out-of-fold where it matters)."""

    household_id: np.ndarray
    Y: np.ndarray
    T: np.ndarray
    X: pd.DataFrame
    cate: np.ndarray  # out-of-fold CATE of the selected model
    cate_lower: np.ndarray
    cate_upper: np.ndarray
    dr_scores: np.ndarray  # AIPW scores from cross-fitted nuisances
    folds: np.ndarray
    propensity: np.ndarray
    segment: pd.Series | None = None  # segment name per unit (pre-period assignment)
    pre_spend: np.ndarray | None = None  # pre-period spend per week, for CUPED
    cost_data: pd.DataFrame | None = None  # see policy/economics.py


@dataclass(frozen=True)
class PolicyResult:
    """Everything the policy stage decided and measured."""

    policies: pd.DataFrame  # policy.csv: one DR and one plug-in row per policy
    economics: Economics
    curve: pd.DataFrame
    sensitivity: pd.DataFrame
    scenarios: pd.DataFrame
    segment_actions: pd.DataFrame | None
    ab_design: pd.DataFrame
    assignment: pd.DataFrame
    recommended_policy: str
    target_rule: str  # CATE-based rule for build_target_list (= recommended unless that is a tree)
    headline: dict
    warnings: list[str] = field(default_factory=list)
    tree_rules: dict = field(default_factory=dict)  # learner name -> rules DataFrame
    descriptions: dict = field(default_factory=dict)  # policy name -> one-line definition
    policies_overlap: pd.DataFrame | None = None  # the same policies valued on in-overlap households only

    def summary_frame(self) -> pd.DataFrame:
        return self.policies[POLICY_COLUMNS]


def _check_inputs(inp: PolicyInputs) -> None:
    n = len(inp.Y)
    for name in ("household_id", "T", "cate", "cate_lower", "cate_upper", "dr_scores", "folds", "propensity"):
        require(len(getattr(inp, name)) == n, f"policy inputs: {name} has {len(getattr(inp, name))} rows, "
                                              f"Y has {n}; pass aligned arrays")
    require(len(inp.X) == n, f"policy inputs: X has {len(inp.X)} rows, Y has {n}")
    require(n >= 20, f"policy inputs: only {n} households; the policy stage needs at least 20")
    for name in ("Y", "cate", "dr_scores", "propensity"):
        require(np.isfinite(np.asarray(getattr(inp, name), float)).all(),
                f"policy inputs: {name} has missing or infinite values")
    require(set(np.unique(inp.T)) <= {0, 1}, "policy inputs: T must be 0/1")
    e = np.asarray(inp.propensity, float)
    require(((e >= 0) & (e <= 1)).all(), "policy inputs: propensity must lie in [0, 1]")
    for name in ("segment", "pre_spend"):
        v = getattr(inp, name)
        require(v is None or len(v) == n, f"policy inputs: {name} must have one value per household")


def _learned_policies(inp: PolicyInputs, econ: Economics, cfg: PolicyConfig, seed: int,
                      warnings: list[str]) -> dict[str, TreePolicy]:
    trees: dict[str, TreePolicy] = {}
    if not cfg.trees or len(np.unique(inp.folds)) < 2:
        return trees
    for kind in ("PolicyTree", "DRPolicyTree"):
        try:
            trees[kind] = crossfit_tree_policy(kind, inp.X, inp.Y, inp.T, inp.cate, inp.folds,
                                               margin=econ.margin, cost=econ.cost, depth=cfg.tree_depth,
                                               min_leaf_share=cfg.tree_min_leaf_share, seed=seed)
        except (ValueError, np.linalg.LinAlgError) as exc:  # e.g. a training fold with one arm only
            warnings.append(f"{kind} could not be learned ({exc}); it is left out of the comparison")
    return trees


def _headline(table: pd.DataFrame, rec: str, pis: dict, psi, econ: Economics) -> dict:
    dr = table[table["method"] == "dr"].set_index("policy")
    pl = table[table["method"] == "plugin"].set_index("policy")
    full, best = dr.loc["everyone"], dr.loc[rec]
    diff, _, lo, hi = profit_difference(pis[rec], pis["everyone"], psi, margin=econ.margin, cost=econ.cost)
    h = {
        "cost": econ.cost, "margin": econ.margin, "breakeven": econ.breakeven,
        "full_targeting_profit": full["profit"], "full_targeting_profit_ci": (full["ci_lower"], full["ci_upper"]),
        "full_targeting_roi": full["roi"], "full_targeting_roi_ci": (full["roi_ci_lower"], full["roi_ci_upper"]),
        "recommended_policy": rec, "recommended_share": best["share"], "recommended_n": int(best["n_targeted"]),
        "recommended_profit": best["profit"], "recommended_profit_ci": (best["ci_lower"], best["ci_upper"]),
        "recommended_roi": best["roi"], "recommended_roi_ci": (best["roi_ci_lower"], best["roi_ci_upper"]),
        "improvement": diff, "improvement_ci": (lo, hi),
        "roi_improvement_pts": 100 * (best["roi"] - full["roi"]),
        "full_targeting_profit_plugin": pl.loc["everyone", "profit"],
        "recommended_profit_plugin": pl.loc[rec, "profit"],
    }
    # plain Python numbers, so the manifest and the report can serialise them
    return {k: (tuple(float(x) for x in v) if isinstance(v, tuple)
                else v if isinstance(v, (str, int)) else float(v)) for k, v in h.items()}

def key_results_frame(headline: dict) -> pd.DataFrame:
    """The executive summary's key-results table (DR, held-out)."""
    h = headline
    return pd.DataFrame([
        {"result": "Contact every household", "profit": h["full_targeting_profit"],
         "profit_95ci": h["full_targeting_profit_ci"], "roi": h["full_targeting_roi"]},
        {"result": f"Recommended: {h['recommended_policy']} ({h['recommended_share']:.0%} contacted)",
         "profit": h["recommended_profit"], "profit_95ci": h["recommended_profit_ci"],
         "roi": h["recommended_roi"]},
        {"result": "Improvement", "profit": h["improvement"], "profit_95ci": h["improvement_ci"],
         "roi": h["roi_improvement_pts"] / 100},
    ])


def _influence(psi: np.ndarray, margin: float, cost: float) -> tuple[int, float]:
    """(k, share): the k = 1% most influential households' share of the absolute DR contributions."""
    c = np.abs(margin * psi - cost)
    k = max(1, int(0.01 * len(c)))
    return k, float(np.sort(c)[-k:].sum() / c.sum()) if c.sum() > 0 else 0.0


def _warnings(table: pd.DataFrame, rec: str, inp: PolicyInputs, cfg: PolicyConfig, econ: Economics) -> list[str]:
    out = []
    dr = table[table["method"] == "dr"].set_index("policy")
    pl = table[table["method"] == "plugin"].set_index("policy")
    r = dr.loc[rec]
    if r["ci_lower"] <= 0:
        out.append(f"The recommended policy '{rec}' has a DR profit CI that includes zero "
                   f"[{r['ci_lower']:,.0f}, {r['ci_upper']:,.0f}]: confirm it with the A/B test before rollout.")
    gap = pl.loc[rec, "profit"] - r["profit"]
    if abs(gap) > 1.96 * r["profit_se"]:
        out.append(f"For '{rec}' the plug-in profit ({pl.loc[rec, 'profit']:,.0f}) differs from the DR "
                   f"estimate ({r['profit']:,.0f}) by more than its CI: the CATE model's own numbers are not "
                   "a reliable value estimate.")
    e = np.asarray(inp.propensity, float)
    inside = (e >= cfg.overlap[0]) & (e <= cfg.overlap[1])
    if cfg.value_population == "all" and inside.mean() < 0.5:
        out.append(f"Only {inside.mean():.0%} of households have a propensity in {list(cfg.overlap)}; policy "
                   "values outside that band rest on the outcome model and extreme weights (see the "
                   "overlap-only comparison).")
    psi = np.asarray(inp.dr_scores, float)[inside if cfg.value_population == "overlap" else slice(None)]
    k, share = _influence(psi, econ.margin, econ.cost)
    if share > 0.25:
        out.append(f"{k} households (1%) carry {share:.0%} of the absolute DR contributions: a few extreme "
                   "inverse-propensity weights dominate the policy values and their CIs; compare the "
                   "overlap-only table or set policy.value_population='overlap'.")
    if not np.isfinite(np.asarray(inp.cate_lower, float)).any():
        out.append("The selected CATE model gives no confidence intervals, so the conservative and "
                   "risk-adjusted policies are left out.")
    return out


def _choose(table: pd.DataFrame) -> str:
    dr = table[(table["method"] == "dr") & ~table["policy"].isin(BASELINES)]
    return str(dr.sort_values(["profit", "n_targeted"], ascending=[False, True]).iloc[0]["policy"])


def _target_rule(table: pd.DataFrame, rec: str) -> str:
    dr = table[(table["method"] == "dr") & ~table["policy"].isin(BASELINES)].sort_values("profit", ascending=False)
    for name in [rec] + list(dr["policy"]):
        try:
            parse_rule(name)
            return name
        except Exception:  # a learned tree is not expressible as a CATE rule
            continue
    return "CATE > break-even"


def run_policy(inputs: PolicyInputs, cfg: PolicyConfig, *, seed: int, out: OutputDir,
               outcome: str = "purchase_amount") -> tuple[PolicyResult, list[Section]]:
    """Run the whole policy stage; writes ``policy.csv`` at the run root plus tables and figures."""
    from .sections import build_sections

    validate_policy_config(cfg)
    _check_inputs(inputs)
    inp = inputs
    econ = make_economics(cfg, inp.cost_data)
    cate, lower, psi = (np.asarray(a, float) for a in (inp.cate, inp.cate_lower, inp.dr_scores))
    e = np.asarray(inp.propensity, float)
    ov = (e >= cfg.overlap[0]) & (e <= cfg.overlap[1])
    m = ov if cfg.value_population == "overlap" else np.ones(len(cate), bool)
    require(m.sum() >= 20, f"policy.value_population=overlap: only {int(m.sum())} households have a propensity "
                           f"in {list(cfg.overlap)}; use 'all' or widen policy.overlap")
    warnings: list[str] = []
    rules = standard_policies(cate, lower, e, econ, cfg)
    trees = _learned_policies(inp, econ, cfg, seed, warnings)
    pis = {name: pi for name, (pi, _) in rules.items()}
    pis.update({name: t.pi for name, t in trees.items()})
    desc = {name: d for name, (_, d) in rules.items()}
    desc.update({name: f"depth-{t.depth} {name}, cross-fitted on the folds" for name, t in trees.items()})
    table = value_frame({k: p[m] for k, p in pis.items()}, psi[m], cate[m], margin=econ.margin, cost=econ.cost)
    table_ov = (value_frame({k: p[ov] for k, p in pis.items()}, psi[ov], cate[ov], margin=econ.margin,
                            cost=econ.cost) if ov.sum() >= 2 else None)
    rec = _choose(table)
    warnings += _warnings(table, rec, inp, cfg, econ)
    kw = dict(margin=econ.margin, cost=econ.cost)
    curve = profit_curve(cate[m], psi[m], step=cfg.curve_step, **kw)
    grid = sensitivity_grid(cate[m], psi[m], cost=econ.cost, margins=cfg.sensitivity_margins,
                            cost_factors=cfg.sensitivity_cost_factors)
    scen = scenarios(cate[m], psi[m], **kw)
    seg = None
    if inp.segment is not None:
        seg = segment_actions(inp.segment, inp.T, psi, cate, e, pis[rec], breakeven=econ.breakeven,
                              overlap=cfg.overlap, rate_tolerance=cfg.rate_tolerance, evaluate=m)
    mde = cfg.mde if cfg.mde > 0 else econ.breakeven
    ab = design_table(inp.Y, {"all households": np.ones(len(cate), bool),
                              f"households targeted by '{rec}'": pis[rec] > 0.5},
                      mde=mde, pre=inp.pre_spend, alpha=cfg.alpha, power=cfg.power, allocation=cfg.allocation)
    assign = assignment_frame(inp.household_id, inp.segment, e, pis[rec], overlap=cfg.overlap,
                              allocation=cfg.allocation, epsilon=cfg.epsilon, seed=seed)
    head = _headline(table, rec, {k: p[m] for k, p in pis.items()}, psi[m], econ)
    head.update(value_population=cfg.value_population, n_evaluated=int(m.sum()), overlap_share=float(ov.mean()))
    result = PolicyResult(
        policies=table, economics=econ, curve=curve, sensitivity=grid, scenarios=scen, segment_actions=seg,
        ab_design=ab, assignment=assign, recommended_policy=rec, target_rule=_target_rule(table, rec),
        headline=head, warnings=warnings, tree_rules={k: t.rules for k, t in trees.items()}, descriptions=desc,
        policies_overlap=table_ov)
    atomic_write_table(table[POLICY_COLUMNS], out.root / "policy.csv")
    files = _write_outputs(result, out, share_above(cate[m], econ.breakeven))
    return result, build_sections(result, files, outcome=outcome)


def _write_outputs(res: PolicyResult, out: OutputDir, be_share: float) -> dict:
    from . import plots

    files = {
        "economics": out.table("policy_economics", res.economics.summary_frame()),
        "policies": out.table("policy_comparison", res.policies),
        "policies_overlap": (out.table("policy_comparison_overlap", res.policies_overlap)
                             if res.policies_overlap is not None else None),
        "curve": out.table("policy_profit_curve", res.curve),
        "sensitivity": out.table("policy_sensitivity", res.sensitivity),
        "scenarios": out.table("policy_scenarios", res.scenarios),
        "ab_design": out.table("ab_design", res.ab_design),
        "ab_strata": out.table("ab_strata", strata_table(res.assignment)),
        "assignment": out.table("ab_assignment", res.assignment),
        "key_results": out.table("key_results", key_results_frame(res.headline)),
        "fig_policies": out.figure("policy_comparison", plots.policy_comparison_figure(res.policies)),
        "fig_curve": out.figure("policy_profit_curve", plots.profit_curve_figure(res.curve, be_share)),
        "fig_sensitivity": out.figure("policy_sensitivity", plots.sensitivity_figure(pivot_profit(res.sensitivity))),
    }
    for name, rules in res.tree_rules.items():
        files[f"rules_{name}"] = out.table(f"policy_rules_{name}", rules)
    if res.segment_actions is not None:
        files["segments"] = out.table("segment_actions", res.segment_actions)
        files["fig_segments"] = out.figure(
            "segment_actions", plots.segment_gate_figure(res.segment_actions, res.economics.breakeven))
    return files

