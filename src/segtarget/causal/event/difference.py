"""Do the two designs differ? The doubly-robust headline minus the event-study ATT, with a household bootstrap.

Two estimates of the same effect on the same households are correlated (the treated households enter both), so
"their 95% CIs overlap" says little: two noisy estimates overlap even when they differ, and two correlated
precise ones can differ significantly although their CIs overlap. The test here estimates the difference
``D = DR - ES`` (both on the triangulation's scale) and its sampling error directly.

Bootstrap. Households are resampled with replacement and D is recomputed from each estimate's household
contributions, i.e. the linearised (influence-function) bootstrap rather than a refit per draw: refitting the
cross-fitted doubly-robust headline (its learners and splits) a thousand times is out of reach in a run.

- doubly robust: the influence ``IF_i`` of the headline estimator on the ATE stage's first cross-fitting split
  (``ate.estimators.headline_influence``), summed within each household and divided by the number of units
  (the headline's own clustered-SE formula). The headline is the median over splits and its SE adds the
  split-to-split spread, so the contributions are rescaled to the headline's SE; the correlation with the
  event study comes from the first split alone. Approximation stated in ``method``.
- event study: each household's contribution to the overall ATT, ``w' bread s_h`` (``study._household_scores``:
  the cross-product of these is the clustered covariance, so the bootstrap SE of the ATT alone equals its CRV1
  SE up to simulation noise), times the scale factor (weeks) of the triangulation.

A draw with household counts ``c_h`` (multinomial, sum = number of households) gives
``D* - D = sum_h (c_h - 1) (dr_h - es_h)``; the SE is the draws' standard deviation, the CI ``D -/+ 1.96 SE``,
the p-value two-sided normal. ``detectable`` is the difference this test finds with 80% power at the 5% level,
``(1.96 + 0.84) SE``: a "no detectable difference" is only as strong as that number is small.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ...stats import Z95

POWER_Z = 0.8416  # one-sided normal quantile of 80% power
DIFF_COLUMNS = ["estimate", "std_error", "ci_lower", "ci_upper", "p_value", "detectable", "households", "draws",
                "method"]


@dataclass(frozen=True)
class DesignDifference:
    """The doubly-robust headline minus the event-study ATT (module docstring)."""

    estimate: float
    std_error: float
    ci_lower: float
    ci_upper: float
    p_value: float
    detectable: float  # difference found with 80% power at the 5% level
    households: int
    draws: int
    method: str

    @property
    def differs(self) -> bool:
        return bool(self.p_value < 0.05)

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(self)], columns=DIFF_COLUMNS)


def household_sums(values: np.ndarray, households: np.ndarray) -> pd.Series:
    """Per-unit values summed within each household (household id -> sum)."""
    return pd.Series(np.asarray(values, float)).groupby(np.asarray(households)).sum()


def dr_contributions(influence: np.ndarray, households: np.ndarray, headline_se: float | None = None) -> pd.Series:
    """Each household's contribution to the doubly-robust estimate, ``sum_{i in h} IF_i / n``; rescaled so that
    their root sum of squares is ``headline_se`` when given (module docstring)."""
    infl = np.asarray(influence, float)
    c = household_sums(infl - infl.mean(), households) / len(infl)
    norm = float(np.sqrt((c ** 2).sum()))
    return c * (headline_se / norm) if headline_se is not None and norm > 0 else c


def difference_test(dr_estimate: float, dr_contrib: pd.Series, es_estimate: float, es_contrib: pd.Series, *,
                    draws: int = 2000, seed: int = 0, method: str = "") -> DesignDifference:
    """``D = dr_estimate - es_estimate`` with its household-bootstrap SE (module docstring). The contributions are
    household id -> contribution on the scale of the estimates; a household missing from one design adds 0 there."""
    ids = dr_contrib.index.union(es_contrib.index)
    d = (dr_contrib.reindex(ids, fill_value=0.0) - es_contrib.reindex(ids, fill_value=0.0)).to_numpy(float)
    d = d - d.mean()  # contributions are centred influences; the mean is rounding
    rng = np.random.default_rng(seed)
    G = len(d)
    boot = np.concatenate([(rng.multinomial(G, np.full(G, 1 / G), size=n) - 1) @ d
                           for n in np.diff(np.r_[0:draws:250, draws])])  # 250 draws at a time: bounded memory
    est = float(dr_estimate - es_estimate)
    se = float(np.std(boot, ddof=1))
    p = float(2 * stats.norm.sf(abs(est) / se)) if se > 0 else float("nan")
    return DesignDifference(estimate=est, std_error=se, ci_lower=est - Z95 * se, ci_upper=est + Z95 * se,
                            p_value=p, detectable=(Z95 + POWER_Z) * se, households=G, draws=draws,
                            method=method or "household bootstrap of the two estimates' household contributions")
