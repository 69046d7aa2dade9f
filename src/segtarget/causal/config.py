"""Track 2a parameters: study design, propensity, ATE family."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigCheck


@dataclass(frozen=True)
class DesignConfig:
    # campaign-trials (one target trial per Type A campaign, stacked) | first-typeA (each household's first
    # Type A campaign vs never-targeted) | campaign:ID (one campaign)
    design: str = "campaign-trials"
    # Outcome window = campaign start .. end + post_weeks (capped at the data end; campaign-trials also ends a
    # unit's window the day before its own later Type A campaign; the older designs at the next Type A start).
    post_weeks: int = 4
    # campaign-trials: covariate look-back before every trial start, in weeks (the same for every trial).
    lookback_weeks: int = 12
    # campaign-trials: a trial with less look-back history than lookback_weeks: skip (left out, with the
    # reason, so every trial's covariates span one look-back length and its selection can be checked before
    # the look-back) | run (with what it has, flagged in the report; its trial is "not testable" by the gate)
    short_history: str = "skip"
    # campaign-trials: trials whose available look-back is shorter than this many weeks are always skipped.
    min_lookback_weeks: int = 2
    # campaign-trials: controls whose window is cut short by their own later campaign: drop (outcomes are
    # window totals) | rate (every money/count outcome becomes a per-week rate over the observed window)
    truncation: str = "drop"
    # campaign-trials: control pool: eligible (all eligible non-members) | never (never Type A-targeted in
    # the data) | later (only households targeted by a later Type A campaign); the last two are refutations.
    control_pool: str = "eligible"
    # campaign-trials refutations: move every trial start this many weeks earlier, keep its members, and end
    # the outcome window the day before the real start (0 = the real design).
    shift_weeks: int = 0
    # first-typeA / campaign:ID: covariate look-back before each index start, in days; 0 = the longest window
    # every unit shares.
    lookback_days: int = 0
    # first-typeA: drop controls targeted by any campaign during their outcome window.
    exclude_contaminated_controls: bool = False
    # first-typeA / campaign:ID controls: strict (campaign:ID: no campaign started on or before its end) |
    # loose (campaign:ID: not this campaign) | not-yet-treated (either design: the campaign-trials rule, i.e.
    # eligible households not yet targeted, restricted to campaign ID for campaign:ID)
    controls: str = "strict"
    # first-typeA / campaign:ID: require >= 1 basket before the first Type A start and >= 1 after.
    require_activity: bool = True
    # design gate (causal/design/gate.py): at most this many weeks of the backcast placebo window that ends where
    # the look-back starts (its outcome is spend the retailer's selection window never saw); at least 4 are needed.
    gate_backcast_weeks: int = 12
    # design gate: level of its tests (pooled; each trial at gate_alpha / number of trials, Bonferroni).
    gate_alpha: float = 0.05
    # design gate: a placebo outcome whose R^2 on its own covariates exceeds this is a covariate in disguise,
    # not a test, and counts as failed.
    gate_r2_max: float = 0.9
    # design gate: every trial's tests and bracket use the units whose cross-fitted propensity (look-back
    # covariates) lies in this band (the policy's valued population by default): outside it there is no
    # comparable unit in the other arm and weights up to 1/clip decide the estimate.
    gate_overlap: tuple[float, float] = (0.1, 0.9)

    def __post_init__(self):
        c = ConfigCheck("design", self)
        kind, _, campaign = self.design.partition(":")
        c.holds(self.design in ("campaign-trials", "first-typeA") or (kind == "campaign" and campaign.isdigit()),
                "design", "'campaign-trials', 'first-typeA' or 'campaign:ID' with a numeric ID")
        c.within("post_weeks", "[0, inf)")
        c.within("lookback_weeks", "[1, inf)")
        c.one_of("short_history", ("run", "skip"))
        c.within("min_lookback_weeks", "[0, inf)")
        c.one_of("truncation", ("drop", "rate"))
        c.one_of("control_pool", ("eligible", "never", "later"))
        c.within("shift_weeks", "[0, inf)")
        c.within("lookback_days", "[0, inf)")
        c.one_of("controls", ("strict", "loose", "not-yet-treated"))
        c.within("gate_backcast_weeks", "[4, inf)")
        c.within("gate_alpha", "(0, 1)")
        c.within("gate_r2_max", "(0, 1]")
        c.each_within("gate_overlap", "[0, 1]")
        c.holds(len(self.gate_overlap) == 2 and self.gate_overlap[0] < self.gate_overlap[1], "gate_overlap",
                "two numbers low < high, e.g. [0.1, 0.9]")


@dataclass(frozen=True)
class AteConfig:
    folds: int = 5  # cross-fitting folds for e(x), mu0(x), mu1(x)
    crossfit_repeats: int = 5  # at most this many independent fold splits; DR estimates are the median over splits
    crossfit_min_repeats: int = 2  # at least this many splits (when crossfit_repeats allows) ...
    crossfit_tolerance: float = 0.25  # ... then stop once the headline moves between splits by <= this many SEs
    crossfit_max_clipped: float = 0.05  # ... but only if at most this share of propensities were clipped
    trims: tuple[float, ...] = (0.0, 0.05, 0.10, 0.15, 0.20, 0.25)  # PS trimming sequence for AIPW and DML
    clip: float = 0.01  # e(x) is clipped to [clip, 1 - clip] inside the weights (counts are reported)
    overlap_band: float = 0.05  # "near-deterministic" PS: e < band or e > 1 - band (grf's warning band)
    min_coverage: float = 0.90  # share of units with e in [band, 1-band] needed to headline the full-population ATE
    # Headline ATT only if at most this share of the treated have e > 1 - overlap_band (treated without
    # comparable controls) ...
    att_max_treated_above: float = 0.20
    # ... and the controls' Kish effective sample size under ATT weights e/(1-e) is at least this many units.
    att_min_control_ess: float = 10.0
    caliper_sd: float = 0.2  # common-support caliper in SDs of logit(e) (Austin 2011)
    dml: bool = True  # also fit econml LinearDML (and its sensitivity analysis)
    # LinearDML re-fitted on units with e in [t, 1-t] for each t (each is a full refit; the cheap AIPW
    # trimming sequence above covers the rest).
    dml_trims: tuple[float, ...] = (0.10,)
    calibration_bins: int = 10  # bins of the propensity calibration table and plot

    def __post_init__(self):
        c = ConfigCheck("ate", self)
        c.within("folds", "[2, inf)")
        c.within("crossfit_repeats", "[1, inf)")
        c.within("crossfit_min_repeats", "[1, inf)")
        c.within("crossfit_tolerance", "[0, inf)")
        c.within("crossfit_max_clipped", "[0, 1]")
        c.each_within("trims", "[0, 0.5)", nonempty=False)
        c.within("clip", "(0, 0.5)")
        c.within("overlap_band", "(0, 0.5)")
        c.within("min_coverage", "[0, 1]")
        c.within("att_max_treated_above", "[0, 1]")
        c.within("att_min_control_ess", "[0, inf)")
        c.within("caliper_sd", "(0, inf)")
        c.each_within("dml_trims", "[0, 0.5)", nonempty=False)
        c.within("calibration_bins", "[2, inf)")
