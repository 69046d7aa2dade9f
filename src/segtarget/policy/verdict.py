"""The verdict: one sentence a marketing lead can defend, gated by evidence.

Rules, in this order (alpha = ``policy.verdict_alpha``, one-sided):

1. **Target this group** only when the ranking test (AUTOC of the selected CATE learner refit on random household
   halves and scored on the valued units of the other half, p = 2 x the median of the split p-values;
   :mod:`segtarget.causal.cate.ranking`) rejects "no better than random" at alpha one-sided, AND the held-out gain of the cross-fitted selection over the best uniform action
   (everyone / no one, chosen the same way) has a 95% CI above 0.
2. **Contact everyone** when the profit of contacting every evaluated unit has a 95% CI above 0;
   **contact no one** when it is below 0.
3. **Inconclusive: run this test** otherwise, with the decision test of
   :func:`~segtarget.policy.abdesign.decision_test`.

Design gate (:mod:`segtarget.causal.design.gate`): unless its status is ``passed`` (the backcast placebo, an
outcome the campaign cannot move and the covariates do not determine, shows no gap and had the power to show
one as large as the effect), the observational scores may carry a bias no policy rule can remove. Then

* no confident contact: neither "target this group" nor "contact everyone" (a failed gate can never produce a
  confident "contact"; on planted data a persistent trait biased *both* ends of the bracket upward, so even a
  bracket above break-even is no evidence to contact);
* "contact no one" needs, besides rule 2, both ends' upper 95% bounds of the profit per contact below 0;
* otherwise the verdict is "inconclusive: run this test", names what failed (per trial where it differs) and
  states where the bracket lies against break-even.

A passed gate bounds the bias, it does not make it 0: every confident verdict must hold after moving each
contacted unit's profit by margin x ``gate.bias_terms`` (the pooled backcast's |gap| a week and its SE, over the
outcome window; the shift adds linearly, the uncertainties in quadrature, ``causal/design/estimate.widen``). Planted at 10x, a trait plus a spike whose backcast gaps offset passed the gate
with a look-back CI of [5, 22] against a true 0, whose lower end clears a $1 contact's break-even.

A planted no-effect campaign whose members were picked on a persistent household trait showed why: the
look-back-adjusted estimate alone said "contact everyone" with a tight CI (benchmarks/RESULTS.md, "Evidence").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..report.format import money
from ..stats import Z95

VERDICTS = ("target this group", "contact everyone", "contact no one", "inconclusive: run this test")


@dataclass(frozen=True)
class Verdict:
    kind: str  # one of VERDICTS
    sentence: str
    rate_p_one_sided: float
    gain_ci: tuple[float, float]
    everyone_ci: tuple[float, float]
    ab: dict
    gate_status: str = "not run"  # the design gate's status (causal/design/gate.py), "not run" without one
    bracket_profit: tuple[float, float] | None = None  # profit per contacted unit: lowest and highest 95% bound

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"verdict": self.kind, "sentence": self.sentence,
                              "rate_p_one_sided": self.rate_p_one_sided, "gain_ci_lower": self.gain_ci[0],
                              "gain_ci_upper": self.gain_ci[1], "everyone_ci_lower": self.everyone_ci[0],
                              "everyone_ci_upper": self.everyone_ci[1],
                              "gate_status": self.gate_status,
                              "bracket_profit_lower": self.bracket_profit[0] if self.bracket_profit else float("nan"),
                              "bracket_profit_upper": self.bracket_profit[1] if self.bracket_profit else float("nan")}])


def one_sided_p(estimate: float, se: float) -> float:
    """P-value of H0 "RATE <= 0" against "RATE > 0" (normal approximation)."""
    from scipy.stats import norm

    if not (np.isfinite(estimate) and np.isfinite(se) and se > 0):
        return float("nan")
    return float(norm.sf(estimate / se))


def _ci(ci) -> str:
    return f"95% CI {money(ci[0], 0)} to {money(ci[1], 0)}"


def decide(*, rate_p: float, gain: float, gain_ci, everyone: float, everyone_ci, target_label: str,
           share: float, n_units: int, ab: dict, alpha: float = 0.05, population: str = "valued",
           gate_status: str = "not run", gate_reasons: tuple[str, ...] = (),
           bracket_profit: tuple[float, float] | None = None,
           bias_allowance: tuple[float, float] = (0.0, 0.0)) -> Verdict:
    """Apply the rules of the module docstring; the sentence states the numbers it rests on.

    ``bias_allowance``: (point, SE) of the profit per contacted unit that a bias the passed design check still
    allows could move; every confident verdict must hold with it (a policy's value moves by it per unit whose
    action differs: all units for everyone / no one, at most max(share, 1 - share) of them for a targeting rule)."""
    from ..causal.design.estimate import widen

    doubt = gate_status not in ("passed", "not run")
    lo_b, hi_b = bracket_profit if bracket_profit is not None else (-np.inf, np.inf)
    ranks = np.isfinite(rate_p) and rate_p < alpha and not doubt
    units = f"the {n_units:,} household-campaign units {population}"
    point, se = bias_allowance
    all_ci = widen(everyone_ci, point * n_units, se * n_units)
    gain_wide = widen(gain_ci, *(x * n_units * max(share, 1 - share) for x in (point, se)))
    kind, text = VERDICTS[3], ""
    if ranks and gain_wide[0] > 0:
        kind = VERDICTS[0]
        text = (f"Target this group: {target_label} ({share:.0%} contacted) adds {money(gain, 0)} profit over the "
                f"best uniform action ({_ci(gain_ci)}) on {units}, each valued on a fold the choice did not see.")
    elif all_ci[0] > 0 and not doubt:
        kind = VERDICTS[1]
        text = (f"Contact everyone: contacting all {units} earns {money(everyone, 0)} profit ({_ci(everyone_ci)}); "
                "no targeting rule beats it with evidence.")
    elif all_ci[1] < 0 and (not doubt or hi_b < 0):
        kind = VERDICTS[2]
        text = f"Contact no one: contacting all {units} loses {money(-everyone, 0)} ({_ci(everyone_ci)})."
    if kind == VERDICTS[3]:
        if doubt:
            where = ("which spans break-even" if lo_b <= 0 <= hi_b else
                     "above break-even under both assumptions, which a design in doubt cannot turn into evidence to "
                     "contact" if lo_b > 0 else
                     "below break-even, but the loss of contacting everyone is not significant")
            bracket = ("" if bracket_profit is None else
                       f"; across the look-back-adjusted and difference-in-differences estimates a contact earns "
                       f"between {money(lo_b, 2)} and {money(hi_b, 2)} (95% bounds), {where}")
            why = (f"the design check cannot rule out bias ({gate_reasons[0] if gate_reasons else gate_status})"
                   f"{bracket}, so the observational numbers cannot decide")
        elif point + se > 0 and (everyone_ci[0] > 0 or everyone_ci[1] < 0 or (ranks and gain_ci[0] > 0)):
            why = (f"the design check bounds the bias but cannot rule out one of up to {money(point + Z95 * se, 2)} "
                   f"of profit a contact, which the evidence does not clear")
        else:
            why = ("the ranking test does not reject 'no better than random'" if not ranks
                   else "the gain over the best uniform action is not significant")
        from .abdesign import plan_sentence  # the test's wording lives beside the numbers it states

        text = (f"Inconclusive: run this test. Contacting all {units} earns {money(everyone, 0)} ({_ci(everyone_ci)}) "
                f"and {why}; {plan_sentence(ab)}")
    return Verdict(kind, text, float(rate_p), tuple(map(float, gain_ci)), tuple(map(float, everyone_ci)), ab,
                   gate_status, None if bracket_profit is None else tuple(map(float, bracket_profit)))
