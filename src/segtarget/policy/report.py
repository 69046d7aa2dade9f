"""The policy stage's report, read from its :class:`PolicyResult`: ``policy.csv``, ``tables/<name>.csv``,
``figures/<name>.png`` and the report sections."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from ..io import OutputDir, atomic_write_table
from ..report.section import Figure, Section, Table, Text
from ..report.format import interval, money, percent
from .abdesign import strata_table
from .curves import pivot_profit
from .value import POLICY_COLUMNS


def _money(x: float) -> str:
    return money(x, 0)


def _ci(lo: float, hi: float) -> str:
    return interval((lo, hi), _money)


def comparison_display(policies: pd.DataFrame, descriptions: dict) -> pd.DataFrame:
    """Wide view: DR (held-out) profit, CI and ROI beside the plug-in numbers, best DR profit first."""
    dr = policies[policies["method"] == "dr"].set_index("policy")
    pl = policies[policies["method"] == "plugin"].set_index("policy")
    out = pd.DataFrame({
        "policy": dr.index, "definition": [descriptions.get(p, "") for p in dr.index],
        "n_targeted": dr["n_targeted"].to_numpy(), "share": dr["share"].round(3).to_numpy(),
        "dr_incremental_sales": dr["incremental_revenue"].round(0).to_numpy(),
        "dr_profit": dr["profit"].round(0).to_numpy(),
        "dr_profit_95ci": [_ci(a, b) for a, b in zip(dr["ci_lower"], dr["ci_upper"])],
        "dr_roi": dr["roi"].round(3).to_numpy(),
        "plugin_profit": pl.loc[dr.index, "profit"].round(0).to_numpy(),
        "plugin_roi": pl.loc[dr.index, "roi"].round(3).to_numpy()})
    return out.sort_values("dr_profit", ascending=False, ignore_index=True)


def _key_results_display(keys: pd.DataFrame) -> pd.DataFrame:
    """key_results.csv as shown: the same numbers, formatted."""
    return pd.DataFrame({
        "result": keys["scenario"], "profit (DR)": keys["profit"].map(_money),
        "95% CI": [_ci(a, b) for a, b in zip(keys["ci_lower"], keys["ci_upper"])],
        "ROI": [percent(r, 0) for r in keys["roi"]], "method": keys["method"]})


def _sensitivity_text(h: dict) -> str:
    """The DiD end against break-even, in the spirit of Rambachan & Roth (2023), relative magnitudes."""
    m, be, pre = h.get("gate_breakdown_m"), h.get("gate_breakeven_sales"), h.get("gate_pretrend_week")
    if m is None or be is None:
        return ""
    if m == 0:
        return (f" The DiD estimate does not clear break-even (a sales effect of {money(be, 2)} per contact, caused "
                "discount included) even if trends stayed exactly parallel.")
    bound = ("any departure" if m == float("inf")
             else f"{m:,.2f} times the pre-period departure ({money(pre, 2)} a week)")
    return (f" The DiD estimate clears break-even ({money(be, 2)} of sales per contact, caused discount included) as "
            f"long as post-period trends depart from parallel by less than {bound}.")


def _gate_text(status, bracket, bias=None) -> str:
    if status in (None, "not run"):
        return "No design gate was run (it needs the campaign-trials design)."
    if status == "passed":
        allowance = ("" if bias is None or not np.isfinite(bias) else
                     f"; a pass bounds the bias, it does not remove it, so every confident verdict must also hold "
                     f"with a sales bias of up to {money(bias, 2)} per unit (what the backcast cannot rule out)")
        return ("Design gate: passed (the backcast placebo shows no gap and could have found one as large as the "
                f"effect), so the verdict rests on the look-back-adjusted scores{allowance}.")
    span = ("" if bracket is None else f" Across the look-back-adjusted and DiD estimates a contact earns between "
            f"{money(bracket[0], 2)} and {money(bracket[1], 2)} (95% bounds).")
    return (f"Design gate: {status}; the verdict never recommends contacting (targeting or everyone) and says "
            f"'contact no one' only if the whole bracket loses money.{span} See the design refutations table.")


def _policy_section(res, files: dict, outcome: str) -> Section:
    e, h = res.economics, res.headline
    lo, hi = h["overlap_band"]
    sec = Section(
        key="policy", title="Targeting policy and business value",
        method_note=(
            f"Profit per contacted unit = margin × extra {html.escape(outcome)} − extra retailer-funded discount "
            "− contact cost, each effect estimated by doubly-robust (AIPW) scores averaged over "
            f"{h['n_splits']} cross-fitting split(s); ROI = profit / (contact cost + caused discount), shown only "
            "where that cost is material. Candidates (CATE rules, nested cross-fitted policy trees, current "
            "practice, everyone, no one) compete on equal terms: for each fold the best candidate on the other "
            "folds is applied to the held-out fold, and the recommended value is the sum of those held-out "
            "values (95% CI clustered by household). The plug-in value (the model's own CATE) is shown beside "
            "each policy, labelled, so the gap is visible."),
        warnings=list(res.warnings), headline=dict(h))
    who = (f"the {h['n_evaluated']:,} units with a propensity in [{lo:g}, {hi:g}] ({h['overlap_share']:.0%} of the "
           "cohort; the others get 'test first')" if h["value_population"] == "overlap"
           else f"all {h['n_evaluated']:,} units of the cohort")
    sec.blocks.append(Text(f"<p><b>{html.escape(h['verdict_sentence'])}</b></p><p>Policies are valued on {who}. "
                           f"{html.escape(h['assumption'])}. Break-even sales effect <b>{_money(e.breakeven)}</b> "
                           "= contact cost / margin.</p>"))
    p = h["rate_p_one_sided"]
    sec.blocks.append(Text(
        "<p>How the verdict is reached: <i>target this group</i> needs both the ranking test of the selected "
        f"sales-CATE model ({html.escape(h.get('rate_test', 'one split'))}: p = {p:.3f}) below 5% and a "
        "held-out gain over the best uniform action with a 95% CI above "
        "$0; otherwise <i>contact everyone</i> / <i>contact no one</i> when contacting everyone has a profit CI "
        "above / below $0; otherwise <i>inconclusive</i>, with the test that would settle it (A/B section). "
        f"Concentration: the top 1% of units carry {h['top_share_everyone']:.0%} of the absolute contributions "
        f"of contacting everyone; without them it earns {_money(h['everyone_without_top'])} and the recommended "
        f"procedure {_money(h['recommended_without_top'])}. {_gate_text(h.get('gate_status'), h.get('bracket_profit'), h.get('gate_bias_bound_sales'))}{_sensitivity_text(h)}</p>"))
    sec.blocks.append(Table("key_results", _key_results_display(res.key_results),
                            "Key results (DR, held-out, household-clustered 95% CIs)", csv=files["key_results"]))
    sec.blocks.append(Table("policy_economics", e.summary_frame(), "Economics: contact cost, margin, break-even",
                            csv=files["economics"]))
    sec.blocks.append(Table("policy_comparison", comparison_display(res.policies, res.descriptions),
                            "Policies: DR value of each unit's held-out decision, with 95% CI, next to the plug-in "
                            "value", csv=files["policies"]))
    sec.blocks.append(Table("policy_selection", res.selection.summary_frame(),
                            "Cross-fitted choice: the policy chosen on the other folds for each held-out fold",
                            csv=files["selection"]))
    sec.blocks.append(Table("policy_concentration", res.concentration.round(3),
                            "Concentration: share of |profit contributions| carried by the top 1% of units, and "
                            "each value without them", csv=files["concentration"]))
    sec.blocks.append(Figure("policy_comparison", files["fig_policies"],
                             "DR profit with 95% CI (dots) and plug-in profit (hollow diamonds) per policy"))
    for name, rules in res.tree_rules.items():
        sec.blocks.append(Table(f"policy_rules_{name}", rules,
                                f"{name}: rules of the tree fit on all units (its value above is nested "
                                "cross-fitted)", csv=files.get(f"rules_{name}")))
    return sec


def _curve_section(res, files: dict) -> Section:
    sec = Section(
        key="policy_curves", title="Profit curves and sensitivity",
        method_note=("Top-k% of households by out-of-fold CATE, valued by DR scores (band = 95% CI) and by "
                     "plug-in; the marked optimum maximises DR profit. The grid re-runs contacting everyone and "
                     "the 'CATE > cost / margin' rule for every contact cost from $0 to twice the reference's "
                     "cost rule and every margin; scenarios move cost by ±20% and margin by ±5 "
                     "points around the base."))
    sec.blocks.append(Figure("policy_profit_curve", files["fig_curve"], "Profit and ROI by share targeted"))
    sec.blocks.append(Table("policy_profit_curve", res.curve.round(3), "Profit curve (DR with CI, plug-in)",
                            csv=files["curve"]))
    sec.blocks.append(Figure("policy_sensitivity", files["fig_sensitivity"], "DR profit over cost × margin"))
    sec.blocks.append(Table("policy_sensitivity", res.sensitivity.round(3), "Cost × margin sensitivity grid",
                            csv=files["sensitivity"]))
    sec.blocks.append(Table("policy_scenarios", res.scenarios.round(3), "Named business scenarios",
                            csv=files["scenarios"]))
    return sec


def _segment_section(res, files: dict) -> Section:
    return Section(
        key="segment_actions", title="Segment actions",
        method_note=("Segments assigned from pre-period features only: in the one run, the Track 1 pipeline "
                     "(same features and numbers of factors and segments) is refit on the look-back window before "
                     "the first campaign, so no post-campaign week shapes a segment; names follow the same rules "
                     "and may differ from the full-year segments. GATE = mean AIPW score in the segment (95% "
                     "CI, clustered by household, on the study cohort's valued units); profit per contact = mean of "
                     "margin × sales score − discount score − contact cost. Expand if its 95% CI is above $0; "
                     "Reduce if below; otherwise Maintain when the recommended policy keeps the current contact rate "
                     "(within the tolerance) and Test & Learn when it would change it."),
        blocks=[Table("segment_actions", res.segment_actions.round(3), "Per-segment evidence and action",
                      csv=files["segments"]),
                Figure("segment_actions", files["fig_segments"], "DR GATE by segment vs break-even")])


def _ab_section(res, files: dict) -> Section:
    from .abdesign import plan_sentence

    ab = res.verdict.ab
    plan = plan_sentence(ab)
    return Section(
        key="ab_design", title="A/B test design for the next campaign",
        method_note=(
            "The decision test randomises households and compares their profit in the campaign window, margin × "
            "sales − retailer-funded discount − contact cost if contacted. H0 'profit effect ≤ $0', i.e. a sales "
            f"effect at most {money(ab['breakeven_with_discount'], 2)} (contact cost + the estimated caused discount "
            f"{money(ab['caused_discount'], 2)}, divided by the margin), is tested one-sided at level "
            f"{ab['alpha_one_sided']:g}; n per arm = (z₁₋α + z_power)² σ²(1 − ρ²) / (δ² p(1−p)) with δ the "
            "profit effect. σ and the CUPED correlation ρ with pre-period spend come from the cohort's control "
            f"units with each household counted once (its units weighted 1/k: a test sees one window per "
            f"household); CUPED is used when ρ² ≥ 1% (here ρ = {ab['cuped_rho']:.2f}). The test is sized for the "
            "headline estimate's profit effect (the mean DR profit per valued unit) when it is positive, else for "
            f"the planning effect ({html.escape(ab['planning_basis'] or 'policy.mde')}). Eligible households are "
            "the current ones with no Type A mailer yet (the trials estimate a first mailer's effect); weeks = "
            "contacted arm / the households the retailer's Type A campaigns contacted per week. The assignment "
            "randomises the eligible households of the target list once each, completely within segment × "
            "propensity-region strata; the ε-greedy column follows the list's decisions with probability 1 − ε "
            "and logs each household's propensity."),
        blocks=[Text(f"<p><b>Plan:</b> {html.escape(plan[0].upper() + plan[1:])}</p>"),
                Table("ab_design", res.ab_design.round(3), "Power of the decision test at each effect: households "
                      "per arm it needs, and its power with every eligible household and with the whole panel",
                      csv=files["ab_design"]),
                Table("ab_decision_test", _quantities(ab), "The test that settles the decision (every number the "
                      "plan states)", csv=files["decision_test"]),
                Table("ab_strata", _strata(res), "Households per assignment stratum and arm",
                      csv=files["ab_strata"])])


def _quantities(ab: dict) -> pd.DataFrame:
    """The one-row decision test as (quantity, value) rows, numbers rounded for reading."""
    shown = [round(v, 3) if isinstance(v, float) else v for v in ab.values()]
    return pd.DataFrame({"quantity": list(ab), "value": [str(v) for v in shown]})


def _strata(res) -> pd.DataFrame:
    return strata_table(res.assignment)


def _write_files(res, out: OutputDir) -> dict:
    """Write every policy table and figure; returns name -> path for the report sections."""
    from . import plots

    ab = pd.DataFrame([res.verdict.ab])
    files = {
        "economics": out.table("policy_economics", res.economics.summary_frame()),
        "policies": out.table("policy_comparison", res.policies),
        "selection": out.table("policy_selection", res.selection.summary_frame()),
        "concentration": out.table("policy_concentration", res.concentration),
        "assignments": out.table("policy_assignments", res.assignments),
        "curve": out.table("policy_profit_curve", res.curve),
        "sensitivity": out.table("policy_sensitivity", res.sensitivity),
        "scenarios": out.table("policy_scenarios", res.scenarios),
        "decision_test": out.table("ab_decision_test", ab),
        "ab_design": out.table("ab_design", res.ab_design),
        "ab_strata": out.table("ab_strata", strata_table(res.assignment)),
        "assignment": out.table("ab_assignment", res.assignment),
        "key_results": out.table("key_results", res.key_results),
        "fig_policies": out.figure("policy_comparison", plots.policy_comparison_figure(res.policies)),
        "fig_curve": out.figure("policy_profit_curve", plots.profit_curve_figure(
            res.curve, res.headline.get("share_above_breakeven"))),
        "fig_sensitivity": out.figure("policy_sensitivity", plots.sensitivity_figure(pivot_profit(res.sensitivity))),
    }
    for name, rules in res.tree_rules.items():
        files[f"rules_{name}"] = out.table(f"policy_rules_{name.replace(' ', '_').replace('(', '').replace(')', '')}",
                                           rules)
    if res.segment_actions is not None:
        files["segments"] = out.table("segment_actions", res.segment_actions)
        files["fig_segments"] = out.figure(
            "segment_actions", plots.segment_gate_figure(res.segment_actions, res.economics.breakeven))
    return files


def policy_sections(res, out: OutputDir, *, outcome: str = "purchase_amount") -> list[Section]:
    """Write every file of the policy stage from ``res`` (a PolicyResult: ``policy.csv`` at the run root, its
    tables and figures) and return its report sections."""
    atomic_write_table(res.policies[POLICY_COLUMNS], out.root / "policy.csv")
    files = _write_files(res, out)
    sections = [_policy_section(res, files, outcome), _curve_section(res, files)]
    if res.segment_actions is not None:
        sections.append(_segment_section(res, files))
    sections.append(_ab_section(res, files))
    return sections
