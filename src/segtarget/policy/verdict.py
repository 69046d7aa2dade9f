"""The verdict: one sentence a marketing lead can defend, gated by evidence.

Rules, in this order (alpha = ``policy.verdict_alpha``, one-sided):

1. **Target this group** only when the sample-split ranking test (AUTOC of the selected CATE model, fit on a
   random half and scored on the other half; :mod:`segtarget.causal.cate.rate`) rejects "no better than random"
   at alpha one-sided, AND the held-out gain of the cross-fitted selection over the best uniform action
   (everyone / no one, chosen the same way) has a 95% CI above 0.
2. **Contact everyone** when the profit of contacting every evaluated unit has a 95% CI above 0;
   **contact no one** when it is below 0.
3. **Inconclusive: run this test** otherwise, with the decision test of
   :func:`~segtarget.policy.abdesign.decision_test`.

Design gate: when a falsification test of the study design is available (``placebo``: the same doubly-robust
estimator on an outcome the campaign cannot have moved, e.g. sales in the weeks before the campaign, with
its 95% CI) and its CI excludes 0, the scores carry a bias no policy rule can remove; rules 1-2 are then
not applied and the verdict is "inconclusive: run this test", saying why. A planted no-effect campaign on
the embedded data showed why this matters: a confounded design gives a significant ranking and a
significant "gain" out of the bias alone (benchmarks/RESULTS.md, "Decision").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

VERDICTS = ("target this group", "contact everyone", "contact no one", "inconclusive: run this test")


@dataclass(frozen=True)
class Verdict:
    kind: str  # one of VERDICTS
    sentence: str
    rate_p_one_sided: float
    gain_ci: tuple[float, float]
    everyone_ci: tuple[float, float]
    ab: dict
    placebo: tuple[float, float] | None = None  # 95% CI of the design's placebo effect, when available

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"verdict": self.kind, "sentence": self.sentence,
                              "rate_p_one_sided": self.rate_p_one_sided, "gain_ci_lower": self.gain_ci[0],
                              "gain_ci_upper": self.gain_ci[1], "everyone_ci_lower": self.everyone_ci[0],
                              "everyone_ci_upper": self.everyone_ci[1],
                              "placebo_ci_lower": self.placebo[0] if self.placebo else float("nan"),
                              "placebo_ci_upper": self.placebo[1] if self.placebo else float("nan")}])


def one_sided_p(estimate: float, se: float) -> float:
    """P-value of H0 "RATE <= 0" against "RATE > 0" (normal approximation)."""
    from scipy.stats import norm

    if not (np.isfinite(estimate) and np.isfinite(se) and se > 0):
        return float("nan")
    return float(norm.sf(estimate / se))


def _money(x: float) -> str:
    return f"-${-x:,.0f}" if x < 0 else f"${x:,.0f}"


def _ci(ci) -> str:
    return f"95% CI {_money(ci[0])} to {_money(ci[1])}"


def decide(*, rate_p: float, gain: float, gain_ci, everyone: float, everyone_ci, target_label: str,
           share: float, n_units: int, ab: dict, alpha: float = 0.05, population: str = "valued",
           placebo: tuple[float, float] | None = None) -> Verdict:
    """Apply the rules of the module docstring; the sentence states the numbers it rests on."""
    biased = placebo is not None and (placebo[0] > 0 or placebo[1] < 0)
    ranks = np.isfinite(rate_p) and rate_p < alpha and not biased
    units = f"the {n_units:,} household-campaign units {population}"
    kind, text = VERDICTS[3], ""
    if biased:
        pass
    elif ranks and gain_ci[0] > 0:
        kind = VERDICTS[0]
        text = (f"Target this group: {target_label} ({share:.0%} contacted) adds {_money(gain)} profit over the "
                f"best uniform action ({_ci(gain_ci)}) on {units}, each valued on a fold the choice did not see.")
    elif everyone_ci[0] > 0 and not biased:
        kind = VERDICTS[1]
        text = (f"Contact everyone: contacting all {units} earns {_money(everyone)} profit ({_ci(everyone_ci)}); "
                "no targeting rule beats it with evidence.")
    elif everyone_ci[1] < 0:
        kind = VERDICTS[2]
        text = f"Contact no one: contacting all {units} loses {_money(-everyone)} ({_ci(everyone_ci)})."
    if kind == VERDICTS[3]:
        why = ("the design fails its placebo test (an effect on an outcome the campaign could not move, 95% CI "
               f"{placebo[0]:,.2f} to {placebo[1]:,.2f}), so the observational numbers cannot decide" if biased
               else "the ranking test does not reject 'no better than random'" if not ranks
               else "the gain over the best uniform action is not significant")
        from .abdesign import plan_sentence  # the test's wording lives beside the numbers it states

        text = (f"Inconclusive: run this test. Contacting all {units} earns {_money(everyone)} ({_ci(everyone_ci)}) "
                f"and {why}; {plan_sentence(ab)}")
    return Verdict(kind, text, float(rate_p), tuple(map(float, gain_ci)), tuple(map(float, everyone_ci)), ab,
                   None if placebo is None else tuple(map(float, placebo)))
