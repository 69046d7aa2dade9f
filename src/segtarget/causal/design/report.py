"""Report sections of the study design: windows and counts per trial, skipped trials, the unit table
(``tables/cohort.csv``) and the design refutations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...io import OutputDir
from ...report.section import Figure, Section, Table
from .study import Cohort
from ...report.format import money

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


def design_sections(cohort: Cohort, out: OutputDir) -> list[Section]:
    """Windows and counts per trial, raw means by arm and the trials left out."""
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
    return [Section(
        key="design", title="Track 2: campaign study design", method_note=f"Design '{cohort.design}'. " + note,
        blocks=blocks, warnings=warnings,
        headline={"n_treated": int(cohort.data.treated.sum()), "n_control": int((cohort.data.treated == 0).sum()),
                  "design": cohort.design, "n_truncated_kept": n_trunc, "outcome_scale": cohort.outcome_scale},
    )]


def cotargeting_sections(result, out: OutputDir, *, contact_cost: float | None = None) -> list[Section]:
    """B/C exposure by trial and arm (``tables/cotargeting.csv``), the headline with and without co-targeted
    units (``tables/cotargeting_sensitivity.csv``) and the sentence saying which treatment the headline measures
    (a first-screen warning when the arms' in-window shares differ by more than 5 points)."""
    from .cotargeting import BEFORE_WEEKS

    sentence = result.sentence(contact_cost)
    return [Section(
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
        headline={"sentence": sentence, "gap": result.gap, "material": result.material})]


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


def refutation_table(refutations, gate=None) -> pd.DataFrame:
    """design_refutations.csv: the gate's checks (role "gate", one row per check and trial; the verdict reads
    their ``passed``) above the older diagnostics (role "diagnostic", pooled)."""
    old = refutations.table.assign(trial="pooled", role="diagnostic")
    if gate is None:
        return old
    return pd.concat([gate.checks.assign(role="gate").rename(columns={"note": "verdict"}), old],
                     ignore_index=True)


def _gate_note(gate) -> str:
    if gate is None:
        return ""
    lo, hi = gate.interval
    return (f" Design gate: {gate.status}. Selection pattern the two tests point to: {gate.pattern}. The reported "
            f"interval of the ATT is {money(lo, 2)} to {money(hi, 2)}"
            f"{' (the look-back-adjusted CI)' if gate.passed else ' (the whole bracket)'}. " + _sensitivity(gate))


def _sensitivity(gate) -> str:
    lo = gate.pooled("did")[1]
    pre = abs(gate.pretrend_per_week)
    return (f"Sensitivity of the DiD end (relative magnitudes, after Rambachan & Roth 2023): its 95% lower bound "
            f"is {money(lo, 2)}; a post-period trend departure of M times the pre-period one ({money(pre, 2)} a "
            "week over "
            f"{gate.window_weeks:.1f} weeks) moves it by M x {money(pre * gate.window_weeks, 2)}.")


def refutation_sections(refutations, out: OutputDir, *, gate=None) -> list[Section]:
    """The design gate's checks and bracket (``gate``, campaign-trials) above the older diagnostics."""
    t = refutation_table(refutations, gate)
    warnings = [f"design check failed: {r.check}"
                f"{'' if r.trial == 'pooled' else ' (trial ' + str(r.trial) + ')'}: {r.verdict}"
                for r in t.itertuples() if r.passed is False and r.role == "diagnostic"]
    if gate is not None and not gate.passed:
        warnings.insert(0, f"design gate {gate.status}: " + "; ".join(gate.reasons) +
                        f" (selection pattern: {gate.pattern}); the verdict is judged on the bracket of the "
                        "look-back-adjusted and DiD estimates")
    blocks = [Table("design_refutations", t, "Design gate and refutations (purchase_amount)",
                    out.table("design_refutations", t))]
    if gate is not None and not gate.bracket.empty:
        blocks.append(Table("design_bracket", gate.bracket, "The effect under each assumption (ATT, per trial and "
                            "treated-weighted pooled)", out.table("design_bracket", gate.bracket)))
    if gate is not None and gate.weekly is not None and not gate.weekly.empty:
        from .weekly_gap import gap_figure

        out.table("design_weekly_gap", gate.weekly)
        blocks.append(Figure("design_weekly_gap", out.figure("design_weekly_gap", gap_figure(gate.weekly)),
                             "Weekly adjusted gap per trial: a gap before the look-back that runs on past the start "
                             "points to a persistent trait; a fading spike after the start to recent-spend "
                             "selection; a step at the start alone to a campaign effect"))
    return [Section(
        key="design_refutations", title="Track 2: does the design compare like with like?",
        method_note=("The gate (role 'gate') tests the two assumptions that could identify the effect, per trial "
                     "and pooled (treated-weighted), with outcomes the campaign cannot move and the covariates do "
                     "not determine (R^2 shown; above the limit a placebo is a covariate in disguise and fails): "
                     "the backcast placebo (weekly spend before the look-back, adjusted for the look-back "
                     "covariates) tests the look-back adjustment; the pre-trend (look-back minus backcast weekly "
                     "spend, adjusted for covariates that do not measure spend) tests parallel trends. 'detectable' "
                     "is the bias each test finds with 80% power. Trials are tested at the level divided by their "
                     "number. The bracket gives the ATT under each assumption: look-back-adjusted (doubly robust) "
                     "and difference-in-differences (doubly robust DiD, Sant'Anna & Zhao 2020, not-yet-treated "
                     "controls). The diagnostics re-run the headline estimator on a changed design: the spend in "
                     "the 4 weeks before the start and a start moved 8 weeks earlier (both fail when the retailer "
                     "selects on recent spend, which the main design adjusts for), and never-treated against "
                     "not-yet-treated controls. Passing means no evidence of bias at this sample size, not proof "
                     "of its absence." + _gate_note(gate)),
        blocks=blocks, warnings=warnings,
        headline={"n_failed": int((t["passed"] == False).sum()),  # noqa: E712
                  "gate_status": None if gate is None else gate.status})]
