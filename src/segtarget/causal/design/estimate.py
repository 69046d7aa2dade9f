"""One ATT with its household-clustered uncertainty, the currency of the design gate's checks and bracket, and
an interval widened by a bias that is bounded but not ruled out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from ...stats import Z95


@dataclass(frozen=True)
class Estimate:
    """One ATT: point, household-clustered SE, treated and total units."""

    estimate: float
    std_error: float
    n_treated: int
    n: int

    @property
    def ci(self) -> tuple[float, float]:
        return self.estimate - Z95 * self.std_error, self.estimate + Z95 * self.std_error

    @property
    def p_value(self) -> float:
        if not (np.isfinite(self.std_error) and self.std_error > 0):
            return float("nan")
        return float(2 * norm.sf(abs(self.estimate) / self.std_error))


def widen(ci: tuple[float, float], point: float, se: float) -> tuple[float, float]:
    """A 95% CI widened by a bias of at most ``point`` (either sign) estimated with standard error ``se``: the
    shift adds linearly, the two uncertainties in quadrature (independent estimates). Unchanged when NaN."""
    if not (np.isfinite(point) and np.isfinite(se)):
        return ci
    mid, se_ci = (ci[0] + ci[1]) / 2, (ci[1] - ci[0]) / (2 * Z95)
    half = point + Z95 * float(np.hypot(se_ci, se))
    return mid - half, mid + half
