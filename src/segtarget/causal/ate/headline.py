"""Which estimate is the headline: an estimand ladder ruled by overlap and effective sample size.

An average effect is only worth reporting for a population the data cover, and only when the units that
carry it are numerous enough. The rule (thresholds in :class:`~segtarget.causal.config.AteConfig`) stops at
the first rung that holds:

1. **ATE, AIPW on the full sample** if at least ``min_coverage`` (90%) of all units have a propensity in
   [band, 1-band] = [0.05, 0.95]: two-sided overlap across the whole population (grf warns at that band).
   Population: every unit of the study.
2. **ATT, doubly robust** if (a) at most ``att_max_treated_above`` of the treated have e > 1 - band (a
   treated unit there has almost no comparable control), and (b) the controls' Kish effective sample size
   under the ATT weights e/(1-e) is at least ``att_min_control_ess``. The ATT reweights only the controls,
   towards the treated; (a) says the treated are covered, (b) that the reweighted controls are not a handful
   of units carrying the whole comparison (caliper coverage alone cannot see that). Population: the treated.
3. **ATO, augmented overlap weights** otherwise. Its population (density proportional to e(1-e)) is covered
   by construction, so it is always estimable; it is not a population ATE, and the report says whom it
   describes. The Crump-trimmed AIPW is always reported beside it.

Defaults (20% and 10 effective controls) keep the ATT on the one external benchmark whose ATT is known
(LaLonde's NSW treated vs PSID controls: 17% of treated above 0.95, control ESS 13.5, the ATT within $500 of
the experiment in 5 of 5 seeds, while the ATO describes a population the experiment says nothing about).
The rule looks only at the propensity and the treatment, never at outcomes or estimates, so it cannot be
steered by the answer.
"""

from __future__ import annotations

import pandas as pd

from ..config import AteConfig

POPULATIONS = {
    "aipw": "every unit of the study",
    "att": "the treated units (households the campaigns targeted)",
    "ato": ("the overlap population: units weighted by e(1-e), i.e. households whose look-back behaviour made "
            "being targeted a toss-up; near-certain members and near-certain non-members count little"),
}


def headline_method(summary: dict, cfg: AteConfig) -> tuple[str, str]:
    """(method, reason) chosen from a positivity summary (see the module docstring)."""
    pct = lambda v: f"{100 * v:.0f}%"  # noqa: E731
    band = f"[{cfg.overlap_band}, {1 - cfg.overlap_band}]"
    inside = f"{pct(summary['share_in_band'])} of units have a propensity in {band}"
    if summary["share_in_band"] >= cfg.min_coverage:
        return "aipw", (f"{inside} (>= {pct(cfg.min_coverage)}): two-sided overlap, so the full-population ATE "
                        f"(AIPW). Population: {POPULATIONS['aipw']}.")
    above, ess = summary["treated_share_above_band"], summary["ess_att_control"]
    facts = (f"{pct(above)} of treated have e > {1 - cfg.overlap_band} (limit {pct(cfg.att_max_treated_above)}) "
             f"and the controls' effective sample size under ATT weights is {ess:.0f} (minimum "
             f"{cfg.att_min_control_ess:.0f})")
    if above <= cfg.att_max_treated_above and ess >= cfg.att_min_control_ess:
        return "att", (f"only {inside}, but {facts}: the treated are covered by enough comparable controls, so "
                       f"the effect on the treated (ATT). Population: {POPULATIONS['att']}.")
    return "ato", (f"only {inside} and {facts}: the ATT would rest on too few comparable controls, so the "
                   f"overlap-weighted effect (ATO). Population: {POPULATIONS['ato']}.")


def mark_headline(table: pd.DataFrame, method: str) -> pd.DataFrame:
    """Add the boolean ``default`` column: true on the (single, untrimmed) row of ``method``."""
    out = table.copy()
    out["default"] = (out["method"] == method) & (out["trim"] == 0)
    if out["default"].sum() != 1:
        raise RuntimeError(f"headline method {method!r} must appear exactly once in the ATE table")
    return out
