"""What the data say without the no-confounding assumption: Manski bounds and E-values.

**Manski (1990) no-assumption bounds.** If Y is known to lie in [a, b] and nothing is assumed about
selection, each unobserved potential outcome can be anything in [a, b]. With p = P(T=1):

    E[Y(1)] in [p E[Y|T=1] + (1-p) a,  p E[Y|T=1] + (1-p) b]
    E[Y(0)] in [(1-p) E[Y|T=0] + p a,  (1-p) E[Y|T=0] + p b]
    ATE in [lower, upper] = [E[Y(1)]_lo - E[Y(0)]_hi, E[Y(1)]_hi - E[Y(0)]_lo],

i.e. lower = mean(T (Y - b) + (1-T)(a - Y)) and upper = mean(T (Y - a) + (1-T)(b - Y)). Both arms enter and
the width is always b - a: these bounds always contain 0, which is the point — without assumptions the
data cannot sign the effect. [a, b] defaults to the observed range of Y. The 95% confidence interval for
the *identified set* follows Imbens & Manski (2004): [lower - c se_l, upper + c se_u] with c solving
Phi(c + width / max(se_l, se_u)) - Phi(-c) = 0.95.

**E-value (VanderWeele & Ding 2017)** for a continuous outcome: standardise the effect, d = estimate / sd(Y),
convert to an approximate risk ratio RR = exp(0.91 d) (use 1/RR if RR < 1) and take
E = RR + sqrt(RR (RR - 1)): the minimum strength of association (risk-ratio scale) an unmeasured confounder
must have with both treatment and outcome to explain the estimate away. The E-value of the CI uses the CI
limit closest to 0, and is 1 when the CI contains 0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ...stats import Z95


@dataclass(frozen=True)
class ManskiBounds:
    lower: float
    upper: float
    se_lower: float
    se_upper: float
    ci_lower: float
    ci_upper: float
    y_min: float
    y_max: float
    n: int

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(self)])


def _imbens_manski_c(width: float, se: float) -> float:
    if se <= 0:
        return Z95
    f = lambda c: stats.norm.cdf(c + width / se) - stats.norm.cdf(-c) - 0.95  # noqa: E731
    return float(optimize.brentq(f, 0.0, 3.0))


def manski_bounds(Y, T, y_range: tuple[float, float] | None = None) -> ManskiBounds:
    """No-assumption ATE bounds and their Imbens–Manski 95% CI (module docstring)."""
    Y, T = np.asarray(Y, float), np.asarray(T, float)
    a, b = (float(Y.min()), float(Y.max())) if y_range is None else map(float, y_range)
    lo_i = T * (Y - b) + (1 - T) * (a - Y)
    hi_i = T * (Y - a) + (1 - T) * (b - Y)
    n = len(Y)
    lo, hi = lo_i.mean(), hi_i.mean()
    se_l, se_u = lo_i.std(ddof=1) / np.sqrt(n), hi_i.std(ddof=1) / np.sqrt(n)
    c = _imbens_manski_c(hi - lo, max(se_l, se_u))
    return ManskiBounds(float(lo), float(hi), float(se_l), float(se_u), float(lo - c * se_l), float(hi + c * se_u),
                        a, b, n)


def _evalue_rr(rr: float) -> float:
    rr = 1.0 / rr if rr < 1 else rr
    return float(rr + np.sqrt(rr * (rr - 1)))


def e_value(estimate: float, ci_lower: float, ci_upper: float, sd_y: float) -> tuple[float, float]:
    """(E-value of the point estimate, E-value of the CI limit closest to 0) (module docstring)."""
    if sd_y <= 0:
        raise ValueError("sd_y must be positive")
    point = _evalue_rr(np.exp(0.91 * estimate / sd_y))
    if ci_lower <= 0 <= ci_upper:
        return point, 1.0
    near = ci_lower if estimate > 0 else ci_upper
    return point, _evalue_rr(np.exp(0.91 * near / sd_y))
