"""Per-segment campaign actions from the DR GATE and the chosen policy.

Segments are the Track-1 segments assigned to the cohort households from their *pre-period* features (the
saved segmentation applied before the campaign), so no post-campaign behaviour defines a moderator.

Per segment:

* ``n``; ``current_rate`` = share of its households the retailer actually contacted (observed T);
* ``gate`` = mean AIPW sales score of its units (the DR group average treatment effect on sales, averaged
  over the cross-fitting splits) with a 95% CI clustered by household, over the units the policies are
  valued on (``n_evaluated``: all, or the in-overlap ones); ``mean_cate`` for comparison;
* ``profit_per_contact`` = mean of m psi_sales - psi_discount - c over the same units (clustered 95% CI):
  what contacting the segment's average household earns after the caused discount and the contact cost;
* ``share_above_breakeven`` = share with out-of-fold CATE > break-even; ``share_in_overlap`` = share with
  propensity inside the overlap band (where the data can compare contacted and non-contacted households);
* ``model_rate`` = share the recommended policy would contact.

Action rules, in order (``be`` = break-even CATE, ``tol`` = ``policy.rate_tolerance``):

1. **Expand** if the profit per contact has a 95% CI above 0 (without discount effects: the GATE's lower
   bound > be): contacting the average household pays, with evidence.
   Recommended rate = max(model rate, share above break-even, current rate).
2. **Reduce** if the profit per contact has a 95% CI below 0: contacting the average household loses
   money, with evidence. Recommended rate = min(model rate, share above break-even, current rate).
3. **Maintain** if the evidence is inconclusive and |model rate - current rate| <= tol: the model sees no
   reason to change. Recommended rate = current rate.
4. **Test & Learn** otherwise (inconclusive evidence but the model would change targeting by more than
   tol): change the rate only inside the A/B test. Recommended rate = model rate, to be tested.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..report.format import interval
from ..stats import Z95



def _action(lo: float, hi: float, model_rate: float, above: float, current: float, tol: float
            ) -> tuple[str, float, str]:
    if np.isfinite(lo) and lo > 0:
        return "Expand", max(model_rate, above, current), f"profit per contact CI {interval((lo, hi))} above $0"
    if np.isfinite(hi) and hi < 0:
        return "Reduce", min(model_rate, above, current), f"profit per contact CI {interval((lo, hi))} below $0"
    if abs(model_rate - current) <= tol:
        return "Maintain", current, (f"profit per contact CI contains $0; policy rate {model_rate:.0%} is within "
                                     f"{tol:.0%} of the current {current:.0%}")
    return "Test & Learn", model_rate, (f"profit per contact CI contains $0; policy would move the rate from "
                                        f"{current:.0%} to {model_rate:.0%}, so test it first")


def _mean_ci(values: pd.Series, clusters: pd.Series) -> tuple[float, float]:
    """Mean and its household-clustered standard error."""
    from .value import clustered_total

    n = len(values)
    if n == 0:
        return float("nan"), float("nan")
    total, se = clustered_total(values.to_numpy(), clusters.to_numpy())
    return total / n, se / n


def segment_actions(segment, T, psi, cate, propensity, policy_pi, *, breakeven: float, reward=None,
                    clusters=None, overlap: tuple[float, float] = (0.1, 0.9), rate_tolerance: float = 0.10,
                    evaluate=None) -> pd.DataFrame:
    """One row per segment with its evidence, the recommended contact rate and the action (see module).

    ``reward`` is the per-unit profit score of contacting (default: psi - breakeven, i.e. margin-free);
    ``clusters`` the household per unit; ``evaluate`` (boolean mask, default all) restricts the effect
    estimates to those units, e.g. the overlap.
    """
    psi = np.asarray(psi, float)
    ev = np.ones(len(psi), bool) if evaluate is None else np.asarray(evaluate, bool)
    r = psi - breakeven if reward is None else np.asarray(reward, float)
    df = pd.DataFrame({"segment": pd.Series(segment).astype(str).to_numpy(),
                       "T": np.asarray(T, float), "psi": psi, "r": r, "ev": ev,
                       "cl": np.arange(len(psi)) if clusters is None else np.asarray(clusters),
                       "cate": np.asarray(cate, float), "e": np.asarray(propensity, float),
                       "pi": np.asarray(policy_pi, float)})
    rows = []
    for seg, g in df.groupby("segment", sort=True):
        e = g[g["ev"]]
        gate, se = _mean_ci(e["psi"], e["cl"])
        prof, pse = _mean_ci(e["r"], e["cl"])
        plo, phi = prof - Z95 * pse, prof + Z95 * pse
        current, model_rate = float(g["T"].mean()), float(g["pi"].mean())
        above = float((g["cate"] > breakeven).mean())
        action, rec, reason = _action(plo, phi, model_rate, above, current, rate_tolerance)
        rows.append({"segment": seg, "n": len(g), "n_households": g["cl"].nunique(), "n_evaluated": len(e),
                     "current_rate": current, "gate": gate, "gate_se": se,
                     "gate_ci_lower": gate - Z95 * se, "gate_ci_upper": gate + Z95 * se,
                     "profit_per_contact": prof, "profit_ci_lower": plo, "profit_ci_upper": phi,
                     "mean_cate": float(g["cate"].mean()), "share_above_breakeven": above,
                     "share_in_overlap": float(g["e"].between(overlap[0], overlap[1]).mean()),
                     "model_rate": model_rate, "recommended_rate": rec, "action": action, "reason": reason})
    return pd.DataFrame(rows).sort_values("gate", ascending=False, ignore_index=True)
