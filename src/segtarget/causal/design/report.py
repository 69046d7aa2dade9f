"""Report sections of the study design: windows and counts per trial, skipped trials, the unit table
(``tables/cohort.csv``) and the design refutations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...io import OutputDir
from ...report.section import Section, Table
from .study import Cohort

_NOTES = {
    "campaign-trials": (
        "One target trial per Type A campaign, stacked. Eligible: no Type A mailer before the campaign start and "
        "at least one basket in the look-back. Treated: eligible members of the campaign; controls: eligible "
        "non-members, including households a later campaign targets (not yet treated). A unit is (household, "
        "trial): one household can be a control in several trials, so cross-fitting folds are grouped and "
        "standard errors clustered by household, and every model has trial fixed effects. Covariates come from "
        "the {lb:g}-week look-back before each trial start (household features, recent trend, earlier Type B/C "
        "mailers, demographics with missing indicators). A unit's outcome window runs from the start to the "
        "campaign end + post weeks, or to the day before its own next Type A campaign (truncated). Outcomes are "
        "{scale}."),
    "first-typeA": (
        "Treated households are those targeted by their first Type A campaign (the index campaign); controls were "
        "never targeted by a Type A campaign and are attached to the first Type A window in which they shop. "
        "Covariates come from a look-back of the same length for everyone ({lb:g} weeks). Outcomes are {scale}."),
    "campaign": (
        "Treated households are the members of this one campaign with no earlier Type A campaign; controls follow "
        "design.controls (strict: no campaign started on or before its end; loose: not this campaign and no "
        "earlier Type A). Covariates come from a {lb:g}-week look-back. Outcomes are {scale}."),
}
WINDOW_COLUMNS = ["outcome_start", "outcome_end", "outcome_weeks", "truncated"]


def design_section(cohort: Cohort, out: OutputDir) -> Section:
    summary = cohort.summary_frame()
    means = (cohort.data.groupby("treated")[["purchase_amount", "purchase_count", "pre_spend_week", "redeemed"]]
             .mean().reset_index().rename(columns={"treated": "arm"}))
    means["arm"] = means["arm"].map({0: "control", 1: "treated"})
    trials = "short_history" in cohort.windows  # the campaign-trials rules (also controls = not-yet-treated)
    note = _NOTES["campaign-trials" if trials else "first-typeA" if cohort.design == "first-typeA" else "campaign"]
    note = note.format(lb=cohort.lookback_weeks, scale=cohort.outcome_scale + "s over each unit's window"
                       if cohort.outcome_scale == "window total" else "per-week rates over each unit's observed "
                       "window (design.truncation = rate)")
    warnings = [f"trial {r.index_campaign} skipped: {r.reason}" for r in cohort.skipped.itertuples()]
    if "short_history" in summary:
        warnings += [f"trial {r.index_campaign}: only {r.lookback_days} days of look-back history (the others "
                     f"have {7 * cohort.lookback_weeks:g}); run with what it has"
                     for r in summary[summary.short_history].itertuples()]
    blocks = [Table("design_windows", summary, "Windows and cohort counts per trial",
                    out.table("design_windows", summary)),
              Table("design_means", means, "Raw outcome means by arm (not causal)", out.table("design_means", means))]
    if not cohort.skipped.empty:
        blocks.append(Table("design_skipped", cohort.skipped, "Trials left out, with the reason",
                            out.table("design_skipped", cohort.skipped)))
    n_trunc = int(cohort.data["truncated"].sum()) if "truncated" in cohort.data else 0
    return Section(
        key="design", title="Track 2: campaign study design", method_note=f"Design '{cohort.design}'. " + note,
        blocks=blocks, warnings=warnings,
        headline={"n_treated": int(cohort.data.treated.sum()), "n_control": int((cohort.data.treated == 0).sum()),
                  "design": cohort.design, "n_truncated_kept": n_trunc, "outcome_scale": cohort.outcome_scale},
    )


def cotargeting_section(result, out: OutputDir, contact_cost: float | None = None) -> Section:
    """B/C exposure by trial and arm (``tables/cotargeting.csv``), the headline with and without co-targeted
    units (``tables/cotargeting_sensitivity.csv``) and the sentence saying which treatment the headline measures
    (a first-screen warning when the arms' in-window shares differ by more than 5 points)."""
    from .cotargeting import BEFORE_WEEKS

    sentence = result.sentence(contact_cost)
    return Section(
        key="cotargeting", title="Track 2: what else the treated received (Type B/C co-targeting)",
        method_note=(f"A unit is co-targeted when a Type B/C campaign it belongs to starts inside its outcome "
                     f"window; the table also shows B/C starts in the {BEFORE_WEEKS} weeks before the start and "
                     "B/C campaigns already running at the start (B/C campaigns started before the start are a "
                     "covariate, bc_campaigns_before). The design does not hold B/C mail fixed, so the headline is "
                     "the effect of the Type A mailer plus the B/C campaigns that came with it. The sensitivity "
                     "row re-runs the headline estimator (one household-grouped cross-fitting split, "
                     "household-clustered CI) without the co-targeted units; being co-targeted is decided after "
                     "the start, so that row conditions on a post-treatment event and is not the mailer-alone "
                     "effect; adding in-window B/C exposure as a covariate would be invalid for the same reason. "
                     "Both rows use one split, which alone moves them by several dollars (benchmarks/RESULTS.md "
                     "'Co-targeting'): read their difference against the CI width. "
                     + sentence),
        blocks=[Table("cotargeting", result.table, "Type B/C exposure by trial and arm (shares of units)",
                      out.table("cotargeting", result.table)),
                Table("cotargeting_sensitivity", result.sensitivity,
                      "Headline estimate (purchase_amount) with and without co-targeted units",
                      out.table("cotargeting_sensitivity", result.sensitivity))],
        warnings=[f"co-targeting: {sentence}"] if result.material else [],
        headline={"sentence": sentence, "gap": result.gap, "material": result.material})


def cohort_table(cohort: Cohort, propensity: np.ndarray | None = None, band: float = 0.05) -> pd.DataFrame:
    """The unit table: key, treatment, propensity and overlap flag (when given), every outcome and its window."""
    d = cohort.data
    cols = [c for c in (*cohort.unit_key, "treated") if c in d]
    out = d[cols].copy()
    if propensity is not None:
        out["propensity"] = np.asarray(propensity, float)
        out["in_overlap"] = (out["propensity"] >= band) & (out["propensity"] <= 1 - band)
    out = pd.concat([out, d[[c for c in (*cohort.outcomes, "coupon_disc_index") if c in d]],
                     d[[c for c in WINDOW_COLUMNS if c in d]]], axis=1)
    return out


def refutation_section(refutations, out: OutputDir) -> Section:
    t = refutations.table
    warnings = [f"design check failed: {r.check}: {r.verdict}" for r in t.itertuples() if r.passed is False]
    return Section(
        key="design_refutations", title="Track 2: does the design compare like with like?",
        method_note=("Each row re-runs the headline estimator (one household-grouped cross-fitting split, "
                     "household-clustered 95% CI) on a changed design whose answer is known: the spend in the "
                     "4 weeks before the start and a start moved 8 weeks earlier must show no effect, and "
                     "never-treated and not-yet-treated controls must agree. Passing means no evidence of bias "
                     "at this sample size, not proof of its absence."),
        blocks=[Table("design_refutations", t, "Design refutations (purchase_amount)",
                      out.table("design_refutations", t))],
        warnings=warnings, headline={"n_failed": int((t["passed"] == False).sum())})  # noqa: E712
