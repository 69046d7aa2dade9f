"""Per-segment campaign actions from the DR GATE and the chosen policy.

Segments are the Track-1 segments assigned to the cohort households from their *pre-period* features (the
saved segmentation applied before the campaign), so no post-campaign behaviour defines a moderator.

Per segment:

* ``n``; ``current_rate`` = share of its households the retailer actually contacted (observed T);
* ``gate`` = mean AIPW score of its households (the DR group average treatment effect) with a 95% CI from
  the score's standard error, over the households the policies are valued on (``n_evaluated``: all, or
  the in-overlap ones); ``mean_cate`` for comparison;
* ``share_above_breakeven`` = share with out-of-fold CATE > break-even; ``share_in_overlap`` = share with
  propensity inside the overlap band (where the data can compare contacted and non-contacted households);
* ``model_rate`` = share the recommended policy would contact.

Action rules, in order (``be`` = break-even CATE, ``tol`` = ``policy.rate_tolerance``):

1. **Expand** if the GATE's lower 95% bound > be: contacting the average household pays, with evidence.
   Recommended rate = max(model rate, share above break-even, current rate).
2. **Reduce** if the GATE's upper 95% bound < be: contacting the average household loses money, with
   evidence. Recommended rate = min(model rate, share above break-even, current rate).
3. **Maintain** if the evidence is inconclusive and |model rate - current rate| <= tol: the model sees no
   reason to change. Recommended rate = current rate.
4. **Test & Learn** otherwise (inconclusive evidence but the model would change targeting by more than
   tol): change the rate only inside the A/B test. Recommended rate = model rate, to be tested.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_Z = 1.959963984540054


def _action(lo: float, hi: float, model_rate: float, above: float, current: float, be: float,
            tol: float) -> tuple[str, float, str]:
    if np.isfinite(lo) and lo > be:
        return "Expand", max(model_rate, above, current), f"DR GATE lower bound {lo:.1f} > break-even {be:.1f}"
    if np.isfinite(hi) and hi < be:
        return "Reduce", min(model_rate, above, current), f"DR GATE upper bound {hi:.1f} < break-even {be:.1f}"
    if abs(model_rate - current) <= tol:
        return "Maintain", current, (f"GATE CI contains break-even; policy rate {model_rate:.0%} is within "
                                     f"{tol:.0%} of the current {current:.0%}")
    return "Test & Learn", model_rate, (f"GATE CI contains break-even; policy would move the rate from "
                                        f"{current:.0%} to {model_rate:.0%}, so test it first")


def segment_actions(segment, T, psi, cate, propensity, policy_pi, *, breakeven: float,
                    overlap: tuple[float, float] = (0.1, 0.9), rate_tolerance: float = 0.10,
                    evaluate=None) -> pd.DataFrame:
    """One row per segment with its evidence, the recommended contact rate and the action (see module).

    ``evaluate`` (boolean mask, default all) restricts the GATE to those households, e.g. the overlap.
    """
    psi = np.asarray(psi, float)
    ev = np.ones(len(psi), bool) if evaluate is None else np.asarray(evaluate, bool)
    df = pd.DataFrame({"segment": pd.Series(segment).astype(str).to_numpy(),
                       "T": np.asarray(T, float), "psi": np.where(ev, psi, np.nan),
                       "cate": np.asarray(cate, float), "e": np.asarray(propensity, float),
                       "pi": np.asarray(policy_pi, float)})
    rows = []
    for seg, g in df.groupby("segment", sort=True):
        n, scores = len(g), g["psi"].dropna()
        n_ev = len(scores)
        gate = float(scores.mean()) if n_ev else float("nan")
        se = float(scores.std(ddof=1) / np.sqrt(n_ev)) if n_ev > 1 else float("nan")
        lo, hi = gate - _Z * se, gate + _Z * se
        current, model_rate = float(g["T"].mean()), float(g["pi"].mean())
        above = float((g["cate"] > breakeven).mean())
        action, rec, reason = _action(lo, hi, model_rate, above, current, breakeven, rate_tolerance)
        rows.append({"segment": seg, "n": n, "n_evaluated": n_ev, "current_rate": current, "gate": gate,
                     "gate_se": se,
                     "gate_ci_lower": lo, "gate_ci_upper": hi, "mean_cate": float(g["cate"].mean()),
                     "share_above_breakeven": above,
                     "share_in_overlap": float(g["e"].between(overlap[0], overlap[1]).mean()),
                     "model_rate": model_rate, "recommended_rate": rec, "action": action, "reason": reason})
    return pd.DataFrame(rows).sort_values("gate", ascending=False, ignore_index=True)
