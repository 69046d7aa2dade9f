"""The policy stage's report, read from its result: ``policy.csv``, ``tables/<name>.csv``, ``figures/<name>.png``
and the report sections."""

from __future__ import annotations

import pandas as pd

from ..io import OutputDir, atomic_write_table
from ..report.section import Section
from .abdesign import strata_table
from .curves import pivot_profit
from .sections import build_sections
from .value import POLICY_COLUMNS


def policy_report(res, out: OutputDir, *, outcome: str = "purchase_amount") -> list[Section]:
    """Write every file of the policy stage from ``res`` (a PolicyResult) and return its report sections."""
    atomic_write_table(res.policies[POLICY_COLUMNS], out.root / "policy.csv")
    return build_sections(res, write_outputs(res, out), outcome=outcome)


def write_outputs(res, out: OutputDir) -> dict:
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
