"""Track 2a parameters: study design, propensity, ATE family."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DesignConfig:
    # first-typeA (stacked: each household's first Type A campaign) | campaign:ID (one campaign)
    design: str = "first-typeA"
    # Outcome window = campaign start .. min(end + post_weeks, next Type A start - 1 day).
    post_weeks: int = 4
    # Covariate look-back before each index start, in days; 0 = the longest window every unit shares.
    lookback_days: int = 0
    # first-typeA: drop controls targeted by any campaign during their outcome window.
    exclude_contaminated_controls: bool = False
    # campaign:ID controls: strict (no campaign started on or before its end) | loose (not this campaign)
    controls: str = "strict"
    # Require >= 1 basket before the first Type A start and >= 1 after (the reference's base cohort).
    require_activity: bool = True


@dataclass(frozen=True)
class AteConfig:
    folds: int = 5  # cross-fitting folds for e(x), mu0(x), mu1(x)
    crossfit_repeats: int = 5  # independent fold splits; DR estimates are the median over splits
    trims: tuple[float, ...] = (0.0, 0.05, 0.10, 0.15, 0.20, 0.25)  # PS trimming sequence for AIPW and DML
    clip: float = 0.01  # e(x) is clipped to [clip, 1 - clip] inside the weights (counts are reported)
    overlap_band: float = 0.05  # "near-deterministic" PS: e < band or e > 1 - band (grf's warning band)
    min_coverage: float = 0.90  # share of an estimand's population that must lie on support to headline it
    caliper_sd: float = 0.2  # common-support caliper in SDs of logit(e) (Austin 2011)
    dml: bool = True  # also fit econml LinearDML (and its trimming sequence and sensitivity analysis)
    calibration_bins: int = 10  # bins of the propensity calibration table and plot
