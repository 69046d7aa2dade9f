"""Report sections of the policy stage, built from a :class:`PolicyResult` and the files it wrote."""

from __future__ import annotations

import html

import pandas as pd

from ..report.section import Figure, Section, Table, Text


def _money(x: float) -> str:
    return f"${x:,.0f}" if pd.notna(x) else "n/a"


def _ci(lo: float, hi: float) -> str:
    return f"[{_money(lo)}, {_money(hi)}]"


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


def _key_results_display(h: dict) -> pd.DataFrame:
    return pd.DataFrame([
        {"result": "Contact every household", "profit (DR)": _money(h["full_targeting_profit"]),
         "95% CI": _ci(*h["full_targeting_profit_ci"]), "ROI": f"{h['full_targeting_roi']:.0%}",
         "plug-in profit": _money(h["full_targeting_profit_plugin"])},
        {"result": f"Recommended: {h['recommended_policy']} ({h['recommended_share']:.0%})",
         "profit (DR)": _money(h["recommended_profit"]), "95% CI": _ci(*h["recommended_profit_ci"]),
         "ROI": f"{h['recommended_roi']:.0%}" if pd.notna(h["recommended_roi"]) else "n/a",
         "plug-in profit": _money(h["recommended_profit_plugin"])},
        {"result": "Improvement", "profit (DR)": _money(h["improvement"]), "95% CI": _ci(*h["improvement_ci"]),
         "ROI": f"{h['roi_improvement_pts']:+.0f} pts" if pd.notna(h["roi_improvement_pts"]) else "n/a",
         "plug-in profit": _money(h["recommended_profit_plugin"] - h["full_targeting_profit_plugin"])},
    ])


def _policy_section(res, files: dict, outcome: str) -> Section:
    e, h = res.economics, res.headline
    sec = Section(
        key="policy", title="Targeting policy and business value",
        method_note=(
            f"Profit = margin × incremental {html.escape(outcome)} − cost × contacts; ROI = profit / contact "
            "cost. Every policy is valued by the doubly-robust (AIPW) scores on households it was not learned "
            "on (out-of-fold CATE thresholds; policy trees cross-fitted on the folds), with a 95% CI from the "
            "per-household contributions. The plug-in value (the model's own CATE summed over the targeted, "
            "as the reference reported) is shown beside it, labelled, so the gap is visible. The recommended "
            "policy has the largest DR profit among the targeting rules."),
        warnings=list(res.warnings), headline=dict(h))
    who = ("all households" if h.get("value_population", "all") == "all"
           else "the households in propensity overlap")
    sec.blocks.append(Text(
        f"<p>Policies are valued on {who} (n = {h.get('n_evaluated', 0):,}). Cost per contact <b>{_money(e.cost)}</b> ({html.escape(e.cost_rule)}), margin "
        f"<b>{e.margin:.0%}</b>, break-even CATE <b>{_money(e.breakeven)}</b> = cost / margin.</p>"))
    sec.blocks.append(Table("policy_economics", e.summary_frame(), "Economics: cost rules, margin, break-even",
                            csv=files["economics"]))
    sec.blocks.append(Table("key_results", _key_results_display(h),
                            "Key results: contacting everyone vs the recommended policy (DR, held-out)",
                            csv=files["key_results"]))
    sec.blocks.append(Table("policy_comparison", comparison_display(res.policies, res.descriptions),
                            "Policies: DR (held-out) value with 95% CI next to the plug-in value",
                            csv=files["policies"]))
    if res.policies_overlap is not None and h.get("value_population") == "all":
        sec.blocks.append(Table(
            "policy_comparison_overlap", comparison_display(res.policies_overlap, res.descriptions),
            f"The same policies valued only on the {h.get('overlap_share', float('nan')):.0%} of households in "
            "propensity overlap, where inverse-propensity weights are bounded", csv=files["policies_overlap"]))
    sec.blocks.append(Figure("policy_comparison", files["fig_policies"],
                             "DR profit with 95% CI (dots) and plug-in profit (hollow diamonds) per policy"))
    for name, rules in res.tree_rules.items():
        sec.blocks.append(Table(f"policy_rules_{name}", rules,
                                f"{name}: rules of the tree fit on all households (value above is cross-fitted)",
                                csv=files.get(f"rules_{name}")))
    return sec


def _curve_section(res, files: dict) -> Section:
    sec = Section(
        key="policy_curves", title="Profit curves and sensitivity",
        method_note=("Top-k% of households by out-of-fold CATE, valued by DR scores (band = 95% CI) and by "
                     "plug-in; the marked optimum maximises DR profit. The grid re-runs the 'CATE > cost / "
                     "margin' rule for every cost and margin; scenarios move cost by ±20% and margin by ±5 "
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
                     "CI). Expand if the GATE's lower bound exceeds break-even; Reduce if its upper bound is "
                     "below; otherwise Maintain when the recommended policy keeps the current contact rate "
                     "(within the tolerance) and Test & Learn when it would change it."),
        blocks=[Table("segment_actions", res.segment_actions.round(3), "Per-segment evidence and action",
                      csv=files["segments"]),
                Figure("segment_actions", files["fig_segments"], "DR GATE by segment vs break-even")])


def _ab_section(res, files: dict) -> Section:
    return Section(
        key="ab_design", title="A/B test design for the next campaign",
        method_note=("n = (z₁₋α/₂ + z_power)² σ² / (MDE² p(1−p)) split p : 1−p; MDE defaults to the break-even "
                     "CATE; CUPED with pre-period spend multiplies the variance by 1 − ρ². Assignment is "
                     "complete randomisation within segment × propensity-region strata; the ε-greedy column "
                     "follows the recommended policy with probability 1 − ε and logs each household's "
                     "propensity, so future data has positivity by design."),
        blocks=[Table("ab_design", res.ab_design.round(3), "Sample size per arm, plain and CUPED",
                      csv=files["ab_design"]),
                Table("ab_strata", _strata(res), "Households per assignment stratum and arm",
                      csv=files["ab_strata"])])


def _strata(res) -> pd.DataFrame:
    from .abdesign import strata_table

    return strata_table(res.assignment)


def build_sections(res, files: dict, *, outcome: str = "purchase_amount") -> list[Section]:
    sections = [_policy_section(res, files, outcome), _curve_section(res, files)]
    if res.segment_actions is not None:
        sections.append(_segment_section(res, files))
    sections.append(_ab_section(res, files))
    return sections
