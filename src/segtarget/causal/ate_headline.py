"""Which estimate is the headline: an overlap-aware estimand ladder.

An average effect is only worth reporting for a population the data cover. The rule walks down from the
broadest population to the one the overlap itself defines and stops at the first estimand whose
population is covered (thresholds in :class:`~segtarget.causal.config.AteConfig`):

1. **ATE, AIPW on the full sample** if at least ``min_coverage`` (90%) of all units have a propensity in
   [band, 1-band] = [0.05, 0.95]. The ATE weights *both* arms by 1/e and 1/(1-e), so it needs two-sided
   overlap across the whole population (grf warns at the same band).
2. **ATT, doubly robust** if at least ``min_coverage`` of the *treated* lie on common support (a control
   within 0.2 SD of logit e; Austin 2011). The ATT reweights only the controls, towards the treated, so
   controls unlike any treated unit (e near 0) do not threaten it; only treated units without comparable
   controls do. This is the classic design with a small treated group and a large comparison pool
   (Dehejia & Wahba 1999 on LaLonde's data).
3. **ATC, doubly robust**: the mirror image, if at least ``min_coverage`` of the controls are on support.
4. **ATO, augmented overlap weights** otherwise. Its population (density proportional to e(1-e)) is
   covered by construction, so it is always estimable; it is labelled as such and is not a population ATE.

The rule looks only at the propensity and the treatment, never at outcomes or estimates, so it cannot be
steered by the answer. Trimmed AIPW at the Crump et al. threshold is always reported beside it.
"""

from __future__ import annotations

import pandas as pd

from .config import AteConfig


def headline_method(summary: dict, cfg: AteConfig) -> tuple[str, str]:
    """(method, reason) chosen from a positivity summary."""
    pct = lambda v: f"{100 * v:.0f}%"  # noqa: E731
    band = f"[{cfg.overlap_band}, {1 - cfg.overlap_band}]"
    if summary["share_in_band"] >= cfg.min_coverage:
        return "aipw", (f"{pct(summary['share_in_band'])} of units have a propensity in {band} "
                        f"(>= {pct(cfg.min_coverage)}): two-sided overlap, so the full-population ATE (AIPW).")
    if summary["support_coverage_treated"] >= cfg.min_coverage:
        return "att", (f"only {pct(summary['share_in_band'])} of units have a propensity in {band}, but "
                       f"{pct(summary['support_coverage_treated'])} of treated units have comparable controls: "
                       "the overlap problem is one-sided, so the effect on the treated (ATT).")
    if summary["support_coverage_control"] >= cfg.min_coverage:
        return "atc", (f"only {pct(summary['share_in_band'])} of units have a propensity in {band}, but "
                       f"{pct(summary['support_coverage_control'])} of controls have comparable treated units: "
                       "the effect on the controls (ATC).")
    return "ato", (f"only {pct(summary['share_in_band'])} of units have a propensity in {band}, "
                   f"{pct(summary['support_coverage_treated'])} of treated and "
                   f"{pct(summary['support_coverage_control'])} of controls are on common support: overlap "
                   "fails on both sides, so the overlap-weighted effect (ATO) for the population both arms cover.")


def mark_headline(table: pd.DataFrame, method: str) -> pd.DataFrame:
    """Add the boolean ``default`` column: true on the (single, untrimmed) row of ``method``."""
    out = table.copy()
    out["default"] = (out["method"] == method) & (out["trim"] == 0)
    if out["default"].sum() != 1:
        raise RuntimeError(f"headline method {method!r} must appear exactly once in the ATE table")
    return out
