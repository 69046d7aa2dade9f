"""The policy stage of the one run: profit scores -> candidate policies -> cross-fitted choice -> verdict.

``run_policy`` takes, per study unit (household x index campaign), the out-of-fold sales CATE of the
selected model, the AIPW scores of sales and of the retailer-funded discount averaged over the
cross-fitting splits (:mod:`.profit`), the folds and the propensity. It

1. restricts choice and valuation to the overlap population (``policy.value_population``; units outside
   get "test first" in the target list),
2. builds the candidates: CATE rules, nested cross-fitted policy trees, and "current practice",
   "everyone", "no one" on equal terms,
3. chooses on K-1 folds and values on the held-out fold (:mod:`.selection`); the "recommended" number is
   the held-out value of that whole procedure with a household-clustered CI,
4. states the verdict (:mod:`.verdict`) and the A/B test that would settle an inconclusive one,

``compute_policy`` returns the result without touching disk; ``run_policy`` also writes its tables, figures
and report sections (:mod:`.outputs`). Nothing here refits a nuisance or a CATE model, so a
changed cost or margin re-runs only this step.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..deprecation import renamed_keywords
from ..errors import require
from ..io import OutputDir
from ..report.section import Section
from ..stats import two_sided_p
from .abdesign import assignment_frame, decision_test, power_table
from .config import PolicyConfig, validate_policy_config
from .curves import grid_costs, profit_curve, scenarios, sensitivity_grid, share_above
from .diagnostics import assignments_frame, concentration, key_results_frame, oof_mean
from .economics import Economics, make_economics
from .profit import EffectScores
from .rules import standard_policies
from .segment_actions import segment_actions
from .selection import SelectionResult, crossfit_select
from .targets import build_target_list
from .trees import nested_tree_policy
from .value import POLICY_COLUMNS, value_frame
from .verdict import Verdict, decide, one_sided_p
from ..report.format import money

__all__ = ["PolicyInputs", "PolicyResult", "compute_policy", "run_policy", "build_target_list", "RECOMMENDED"]

BASELINES = ("current practice", "everyone", "no one")
RECOMMENDED = "recommended (cross-fitted choice)"


@dataclass(frozen=True)
class PolicyInputs:
    """Per-unit arrays from the causal stages (aligned; one row per household x index campaign)."""

    household_id: np.ndarray
    Y: np.ndarray  # sales outcome in campaign-window dollars (A/B sizing)
    T: np.ndarray
    X: pd.DataFrame
    cate: np.ndarray  # out-of-fold sales CATE of the selected model
    cate_lower: np.ndarray
    cate_upper: np.ndarray
    scores: EffectScores  # AIPW scores ("sales", "retailer_discount", ...) averaged over splits
    folds: np.ndarray  # the folds the CATE was cross-fitted on (grouped by household)
    propensity: np.ndarray  # cross-fitted e(x) before clipping
    rate_estimate: float = float("nan")  # AUTOC of the selected CATE model's ranking test (median over splits)
    rate_se: float = float("nan")
    # One-sided p-value of that test, already combined over its splits (2 x median, causal/cate/ranking.py); the
    # verdict uses it when given, else one_sided_p(rate_estimate, rate_se). ``rate_test`` says how it was formed.
    rate_p: float = float("nan")
    rate_test: str = "AUTOC of the selected model on a held-out sample (one split)"
    index_campaign: np.ndarray | None = None
    segment: pd.Series | None = None  # segment name per unit (pre-period assignment)
    pre_spend: np.ndarray | None = None  # pre-period spend per week, for CUPED
    cost_data: pd.DataFrame | None = None  # see policy/economics.py (comparison cost rules)
    contacts_per_week: float | None = None  # Type A households contacted per week in the data
    # the design gate (causal/design/gate.py): its status and the bracket of the ATT under the look-back
    # adjustment and under DiD; unless passed, the verdict is judged on the whole bracket (see verdict.py)
    gate: object | None = None
    # (K, n) nested out-of-fold CATE and lower bound (causal/cate/nested.py): row k never saw fold k. When
    # given, CATE rules and the CATE policy tree choose for fold k from row k, so no candidate's choice has
    # seen the fold it is valued on; without it they use ``cate`` (then fold k leaks in through the CATE
    # models of the other folds, and the held-out value is optimistic).
    cate_nested: np.ndarray | None = None
    cate_lower_nested: np.ndarray | None = None
    # The A/B plan (abdesign.decision_test): the retailer-funded discount columns per unit (window dollars; the
    # profit outcome's variance), the current households with no Type A mailer yet, and every household.
    discount_outcomes: pd.DataFrame | None = None
    eligible_households: int | None = None
    panel_households: int | None = None

    @classmethod
    def from_cate(cls, cate, *, Y, T, X, groups=None, **fields) -> PolicyInputs:
        """The inputs a CATE stage result (``compute_cate`` on the sales outcome) gives: its out-of-fold CATE and
        interval, AIPW scores, folds, propensity and ranking test. ``groups``: household id per unit (None: each
        unit its own household). Profit is then margin x sales - cost: pass ``scores`` with discount scores,
        ``gate``, ``segment``, ... by keyword to add what the one run adds (``steps.policy_inputs``)."""
        from .profit import EffectScores

        oof = cate.oof
        base = dict(household_id=np.arange(len(Y)) if groups is None else np.asarray(groups), Y=np.asarray(Y, float),
                    T=np.asarray(T, int), X=pd.DataFrame(X).reset_index(drop=True), cate=oof["cate"].to_numpy(),
                    cate_lower=oof["cate_lower"].to_numpy(), cate_upper=oof["cate_upper"].to_numpy(),
                    scores=EffectScores({"sales": cate.dr_scores}, 1), folds=cate.nuisances.folds,
                    propensity=cate.nuisances.e_raw, **ranking_inputs(cate.ranking))
        return cls(**(base | fields))


@dataclass(frozen=True)
class PolicyResult:
    """Everything the policy stage decided and measured."""

    policies: pd.DataFrame  # policy.csv: one DR and one plug-in row per policy (+ the recommended procedure)
    economics: Economics
    selection: SelectionResult
    verdict: Verdict
    curve: pd.DataFrame
    sensitivity: pd.DataFrame
    scenarios: pd.DataFrame
    segment_actions: pd.DataFrame | None
    ab_design: pd.DataFrame
    # A/B assignment of the cohort's units; the one run replaces it with the target list's eligible households
    # (steps.next_campaign_assignment), the population the A/B plan counts
    assignment: pd.DataFrame
    assignments: pd.DataFrame  # policy_assignments.csv
    key_results: pd.DataFrame  # key_results.csv
    recommended_policy: str
    target_rule: str  # CATE rule for the next campaign's list (the most frequent rule chosen; see targets)
    headline: dict
    warnings: list[str] = field(default_factory=list)
    tree_rules: dict = field(default_factory=dict)
    descriptions: dict = field(default_factory=dict)
    concentration: pd.DataFrame | None = None

    def summary_frame(self) -> pd.DataFrame:
        """The ``policy.csv`` columns and the two-sided p-value of "profit = 0" (normal approximation)."""
        p = [two_sided_p(v, se) for v, se in zip(self.policies["profit"], self.policies["profit_se"])]
        return self.policies[POLICY_COLUMNS].assign(p_value=p)


def ranking_inputs(test) -> dict:
    """PolicyInputs fields from a :class:`~segtarget.causal.cate.ranking.RankingTest`."""
    return {"rate_estimate": test.estimate, "rate_se": test.se, "rate_p": test.p_value,
            "rate_test": test.description}


def _check_inputs(inp: PolicyInputs) -> None:
    n = len(inp.Y)
    for name in ("household_id", "T", "cate", "cate_lower", "cate_upper", "folds", "propensity"):
        require(len(getattr(inp, name)) == n, f"policy inputs: {name} has {len(getattr(inp, name))} rows, "
                                              f"Y has {n}; pass aligned arrays")
    for name, v in inp.scores.scores.items():
        require(len(v) == n and np.isfinite(v).all(), f"policy inputs: score {name} must be finite, one per unit")
    require(len(inp.X) == n, f"policy inputs: X has {len(inp.X)} rows, Y has {n}")
    require(inp.discount_outcomes is None or len(inp.discount_outcomes) == n,
            f"policy inputs: discount_outcomes must have one row per unit ({n})")
    require(n >= 20, f"policy inputs: only {n} units; the policy stage needs at least 20")
    require(np.isfinite(np.asarray(inp.cate, float)).all(), "policy inputs: cate has missing or infinite values")
    require(set(np.unique(inp.T)) <= {0, 1}, "policy inputs: T must be 0/1")
    e = np.asarray(inp.propensity, float)
    require(((e >= 0) & (e <= 1)).all(), "policy inputs: propensity must lie in [0, 1]")
    require(len(np.unique(inp.folds)) >= 2, "policy inputs: need at least 2 folds for cross-fitted selection")


def _rule_candidates(score, lower, e: np.ndarray, econ: Economics, cfg: PolicyConfig):
    """The CATE rules and baselines; a (K, n) score gives (K, n) decisions, row k from row k's scores."""
    if score.ndim == 1:
        rules = standard_policies(score, lower, e, econ, cfg)
        return {n: pi for n, (pi, _) in rules.items()}, {n: d for n, (_, d) in rules.items()}
    rows = [standard_policies(s_, l_, e, econ, cfg) for s_, l_ in zip(score, lower)]
    return ({n: np.vstack([r[n][0] for r in rows]) for n in rows[0]}, {n: d for n, (_, d) in rows[0].items()})


def _candidates(inp: PolicyInputs, m: np.ndarray, econ: Economics, cfg: PolicyConfig, score: np.ndarray,
                lower: np.ndarray, r: np.ndarray, disc_hat: np.ndarray, seed: int, warnings: list[str]):
    shift = disc_hat / econ.margin
    if inp.cate_nested is not None:  # the nested rows decide; the plain out-of-fold CATE stays the all-data view
        rule_cate = np.asarray(inp.cate_nested, float)[:, m]
        rule_score, rule_lower = rule_cate - shift, np.asarray(inp.cate_lower_nested, float)[:, m] - shift
    else:
        rule_cate, rule_score, rule_lower = np.asarray(inp.cate, float)[m], score, lower
    cands, desc = _rule_candidates(rule_score, rule_lower, np.asarray(inp.propensity, float)[m], econ, cfg)
    trees = {}
    if cfg.trees:
        X, folds = inp.X.loc[m].reset_index(drop=True), np.asarray(inp.folds)[m]
        reward = lambda cate: econ.margin * cate - disc_hat - econ.cost  # noqa: E731
        rewards = {"PolicyTree (CATE)": reward(rule_cate), "PolicyTree (DR)": r}
        full = {"PolicyTree (CATE)": reward(np.asarray(inp.cate, float)[m])}
        for name, rew in rewards.items():
            try:
                trees[name] = nested_tree_policy(name, X, rew, folds, depth=cfg.tree_depth,
                                                 min_leaf_share=cfg.tree_min_leaf_share, seed=seed,
                                                 full_rewards=full.get(name))
            except (ValueError, np.linalg.LinAlgError) as exc:
                warnings.append(f"{name} could not be learned ({exc}); it is left out of the comparison")
    for name, t in trees.items():
        cands[name] = t.pi
        desc[name] = f"depth-{t.depth} {name}, nested cross-fitted on the folds"
    return cands, desc, {k: t.rules for k, t in trees.items()}


def _held_out(pi: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """The decision each unit gets when its own fold is held out (a (K, n) nested matrix or a vector)."""
    if pi.ndim == 1:
        return pi
    ks = {k: i for i, k in enumerate(np.unique(folds))}
    return pi[[ks[f] for f in folds], np.arange(pi.shape[1])]


@renamed_keywords(seed="random_state")
def run_policy(inputs: PolicyInputs, cfg: PolicyConfig, *, random_state: int, out: OutputDir,
               outcome: str = "purchase_amount") -> tuple[PolicyResult, list[Section]]:
    """:func:`compute_policy`, then write ``policy.csv`` at the run root, tables, figures and report sections."""
    from .report import policy_sections

    result = compute_policy(inputs, cfg, random_state=random_state)
    return result, policy_sections(result, out, outcome=outcome)


@renamed_keywords(seed="random_state")
def compute_policy(inputs: PolicyInputs, cfg: PolicyConfig, *, random_state: int) -> PolicyResult:
    """The whole policy stage in memory: candidates, cross-fitted choice, verdict, curves, A/B design."""
    validate_policy_config(cfg)
    _check_inputs(inputs)
    inp = inputs
    econ = make_economics(cfg, inp.cost_data)
    # a generic unit table (segtarget causal) has no discount outcome: profit is then m x sales - cost
    econ = dataclasses.replace(econ, discount=tuple(c for c in econ.discount if c in inp.scores.scores))
    e = np.asarray(inp.propensity, float)
    ov = (e >= cfg.overlap[0]) & (e <= cfg.overlap[1])
    m = ov if cfg.value_population == "overlap" else np.ones(len(e), bool)
    require(m.sum() >= 20, f"policy.value_population=overlap: only {int(m.sum())} units have a propensity in "
                           f"{list(cfg.overlap)}; use 'all' or widen policy.overlap")
    clusters = np.asarray(inp.household_id)[m]
    folds = np.asarray(inp.folds)[m]
    psi_s = inp.scores.scores["sales"][m]
    psi_d = inp.scores.discount(econ.discount)[m]
    r = econ.margin * psi_s - psi_d - econ.cost
    disc_hat = oof_mean(psi_d, folds)  # the caused discount a rule can know without seeing the unit
    score = np.asarray(inp.cate, float)[m] - disc_hat / econ.margin  # sales-equivalent profit ranking
    lower = np.asarray(inp.cate_lower, float)[m] - disc_hat / econ.margin
    warnings: list[str] = []
    cands, desc, rules = _candidates(inp, m, econ, cfg, score, lower, r, disc_hat, random_state, warnings)
    sel = crossfit_select(cands, r, folds, clusters)
    held = {k: _held_out(np.asarray(p, float), folds) for k, p in cands.items()}
    held[RECOMMENDED] = sel.pi
    desc[RECOMMENDED] = (f"chosen among the {len(cands)} policies on K-1 folds, applied to the held-out fold "
                         f"(choices: {sel.label})")
    kw = dict(margin=econ.margin, cost=econ.cost, psi_disc=psi_d, groups=clusters)
    table = value_frame(held, psi_s, score, **kw)
    conc = concentration(held, r, clusters, share=cfg.concentration_share)
    ev = table[(table["method"] == "dr") & (table["policy"] == "everyone")].iloc[0]
    ab = _decision_test(inp, econ, cfg, psi_s, psi_d)
    rate_p = inp.rate_p if np.isfinite(inp.rate_p) else one_sided_p(inp.rate_estimate, inp.rate_se)
    gate_kw = _gate_terms(inp.gate, econ, psi_d)
    verdict = decide(rate_p=rate_p, gain=sel.gain, gain_ci=sel.gain_ci, everyone=float(ev["profit"]),
                     everyone_ci=(float(ev["ci_lower"]), float(ev["ci_upper"])), target_label=sel.label,
                     share=float(sel.pi.mean()), n_units=int(m.sum()), ab=ab, alpha=cfg.verdict_alpha,
                     population=(f"with a propensity in [{cfg.overlap[0]:g}, {cfg.overlap[1]:g}]"
                                 if cfg.value_population == "overlap" else "of the study cohort"),
                     **gate_kw)
    warnings += _warnings(sel, conc, rate_p, cfg)
    curve_kw = dict(disc=psi_d, groups=clusters)
    curve = profit_curve(score, psi_s, margin=econ.margin, cost=econ.cost, step=cfg.curve_step, **curve_kw)
    grid = sensitivity_grid(score, psi_s, costs=grid_costs(econ.cost, econ.reference_cost, cfg.sensitivity_cost_max,
                                                           cfg.sensitivity_cost_steps),
                            margins=cfg.sensitivity_margins, **curve_kw)
    scen = scenarios(score, psi_s, margin=econ.margin, cost=econ.cost, **curve_kw)
    seg = None
    if inp.segment is not None:
        seg = segment_actions(pd.Series(inp.segment).to_numpy()[m], np.asarray(inp.T)[m], psi_s, score, e[m],
                              sel.pi, breakeven=econ.breakeven, reward=r, clusters=clusters,
                              overlap=cfg.overlap, rate_tolerance=cfg.rate_tolerance)
    ab_pop = power_table(ab)
    rec_full = np.zeros(len(e))
    rec_full[m] = sel.pi
    assign = assignment_frame(inp.household_id, inp.segment, e, rec_full, overlap=cfg.overlap,
                              allocation=cfg.allocation, epsilon=cfg.epsilon, seed=random_state)
    assigns = assignments_frame(inp.household_id, inp.index_campaign, m, held, RECOMMENDED)
    head = _headline(table, sel, verdict, econ, conc, m, ov, cfg, inp.scores.n_splits)
    head["rate_test"] = inp.rate_test
    head["share_above_breakeven"] = share_above(score, econ.breakeven)
    if inp.gate is not None and not inp.gate.bracket.empty:
        # break-even including the caused discount, in sales dollars per contacted unit
        be = (econ.cost + float(np.mean(psi_d))) / econ.margin
        head["gate_breakeven_sales"] = be
        head["gate_breakdown_m"] = inp.gate.breakdown(be)
        head["gate_pretrend_week"] = abs(inp.gate.pretrend_per_week)
        head["gate_bias_bound_sales"] = inp.gate.bias_bound  # what a pass still allows (causal/design/gate.py)
    keys = key_results_frame(head)
    result = PolicyResult(
        policies=table, economics=econ, selection=sel, verdict=verdict, curve=curve, sensitivity=grid,
        scenarios=scen, segment_actions=seg, ab_design=ab_pop, assignment=assign, assignments=assigns,
        key_results=keys, recommended_policy=sel.label, target_rule=_target_rule(sel), headline=head,
        warnings=warnings, tree_rules=rules, descriptions=desc, concentration=conc)
    return result


def _gate_terms(gate, econ: Economics, psi_d: np.ndarray) -> dict:
    """The design gate's status, reasons and the bracket as profit per contacted unit: margin x (each end's 95%
    bound of the sales ATT) - the mean caused discount - the contact cost; when it passed, the profit per
    contacted unit a bias the backcast still allows could move (margin x ``gate.bias_terms``: point, SE)."""
    if gate is None:
        return {}
    r = gate.bracket[gate.bracket["trial"] == "pooled"]
    if r.empty:
        return {"gate_status": gate.status, "gate_reasons": tuple(gate.reasons)}
    lo, hi = float(r["bracket_lower"].iloc[0]), float(r["bracket_upper"].iloc[0])
    disc = float(np.mean(psi_d)) if len(psi_d) else 0.0
    point, se = gate.bias_terms if gate.passed else (0.0, 0.0)
    return {"gate_status": gate.status, "gate_reasons": tuple(gate.reasons),
            "bracket_profit": (econ.margin * lo - disc - econ.cost, econ.margin * hi - disc - econ.cost),
            "bias_allowance": (econ.margin * point, econ.margin * se) if np.isfinite(point) else (0.0, 0.0)}


def _decision_test(inp: PolicyInputs, econ: Economics, cfg: PolicyConfig, psi_s: np.ndarray,
                   psi_d: np.ndarray) -> dict:
    """The A/B plan: sigma and CUPED rho of the profit outcome from every control unit of the cohort (a test
    randomises eligible households whatever their propensity), the headline effect and caused discount from
    the valued units' scores (their mean is the "everyone" profit per unit)."""
    ctrl = np.asarray(inp.T) == 0
    cols = [c for c in econ.discount if inp.discount_outcomes is not None and c in inp.discount_outcomes]
    disc = inp.discount_outcomes[cols].to_numpy(float).sum(axis=1)[ctrl] if cols else None
    be_d = (econ.cost + float(np.mean(psi_d))) / econ.margin
    # the planning effect: policy.mde above break-even, else a campaign that returns its full cost twice
    above, basis = ((cfg.mde, f"policy.mde = {money(cfg.mde, 2)} above break-even") if cfg.mde > 0
                    else (max(be_d, 0.01), "the campaign returns its cost and caused discount twice"))
    return decision_test(
        np.asarray(inp.Y, float)[ctrl], None if inp.pre_spend is None else np.asarray(inp.pre_spend, float)[ctrl],
        discount_control=disc, households=np.asarray(inp.household_id)[ctrl], margin=econ.margin, cost=econ.cost,
        caused_discount=float(np.mean(psi_d)), headline_sales=float(np.mean(psi_s)), planning_sales=be_d + above,
        planning_basis=basis, alpha=cfg.verdict_alpha, power=cfg.power, allocation=cfg.allocation,
        contacts_per_week=inp.contacts_per_week, eligible=inp.eligible_households, panel=inp.panel_households)


def _target_rule(sel: SelectionResult) -> str:
    """A CATE rule the next campaign's list can apply: the most frequent choice when it is one."""
    from .targets import parse_rule

    for name in pd.Series(list(sel.chosen.values())).value_counts().index:
        try:
            parse_rule(name)
            return str(name)
        except Exception:  # a learned tree or current practice is not a CATE rule
            continue
    return "CATE > break-even"


def _warnings(sel: SelectionResult, conc: pd.DataFrame, rate_p: float, cfg: PolicyConfig) -> list[str]:
    out = []
    if len(set(sel.chosen.values())) > 1:
        out.append(f"The policy chosen on K-1 folds differs between folds ({sel.label}): the choice itself is "
                   "unstable, which is part of the uncertainty of the recommended value.")
    row = conc[conc["policy"] == "everyone"].iloc[0]
    if row["top_share"] > 0.25:
        out.append(f"{int(row['n_top'])} units (the top {cfg.concentration_share:.0%}) carry {row['top_share']:.0%} "
                   f"of the absolute profit contributions of contacting everyone; without them it is "
                   f"{money(row['value_without_top'], 0)} instead of {money(row['value'], 0)}.")
    if not np.isfinite(rate_p):
        out.append("No ranking test was available, so 'target this group' cannot be concluded.")
    return out


def _headline(table, sel: SelectionResult, verdict: Verdict, econ: Economics, conc, m, ov, cfg, n_splits) -> dict:
    dr = table[table["method"] == "dr"].set_index("policy")
    ev, rec = dr.loc["everyone"], dr.loc[RECOMMENDED]
    crow = conc.set_index("policy")
    h = {
        "verdict": verdict.kind, "verdict_sentence": verdict.sentence, "assumption": econ.assumption_line(),
        "cost": econ.cost, "cost_source": econ.cost_source, "margin": econ.margin, "breakeven": econ.breakeven,
        "everyone_profit": ev["profit"], "everyone_ci": (ev["ci_lower"], ev["ci_upper"]),
        "everyone_roi": ev["roi"], "everyone_roi_ci": (ev["roi_ci_lower"], ev["roi_ci_upper"]),
        "everyone_n": int(ev["n_targeted"]),
        "recommended_policy": sel.label, "recommended_profit": sel.value, "recommended_ci": sel.ci,
        "recommended_share": float(rec["share"]), "recommended_n": int(rec["n_targeted"]),
        "recommended_roi": rec["roi"], "recommended_roi_ci": (rec["roi_ci_lower"], rec["roi_ci_upper"]),
        "gain": sel.gain, "gain_ci": sel.gain_ci, "uniform_profit": sel.uniform_value, "uniform_ci": sel.uniform_ci,
        "rate_p_one_sided": verdict.rate_p_one_sided,
        "value_population": cfg.value_population, "n_evaluated": int(m.sum()), "overlap_share": float(ov.mean()),
        "overlap_band": tuple(cfg.overlap), "n_splits": int(n_splits),
        "top_share_everyone": crow.loc["everyone", "top_share"],
        "everyone_without_top": crow.loc["everyone", "value_without_top"],
        "recommended_without_top": crow.loc[RECOMMENDED, "value_without_top"],
        "ab_n_treatment": verdict.ab.get("n_treatment"), "ab_weeks": verdict.ab.get("weeks"),
        "ab_feasible": bool(verdict.ab.get("feasible", True)),
        "gate_status": verdict.gate_status,
        "bracket_profit": tuple(verdict.bracket_profit) if verdict.bracket_profit is not None else None,
    }
    return {k: (tuple(float(x) for x in v) if isinstance(v, tuple)
                else v if isinstance(v, (str, int)) or v is None else float(v)) for k, v in h.items()}
