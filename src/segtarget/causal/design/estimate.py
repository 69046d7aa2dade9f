"""One ATT with its household-clustered uncertainty: the currency of the design gate's checks and bracket."""

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
