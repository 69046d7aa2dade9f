"""What the ATE stage returns: one frozen result per treatment and its outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..nuisance import Nuisances
from .propensity import PropensityComparison

ATE_COLUMNS = ["outcome", "method", "estimand", "estimate", "std_error", "ci_lower", "ci_upper", "n", "trim",
               "default"]


@dataclass(frozen=True)
class AteResult:
    """Everything Track 2a computed for one treatment and its outcomes."""

    ate: pd.DataFrame  # ATE_COLUMNS, all outcomes
    positivity: dict
    positivity_frame: pd.DataFrame  # metric, value
    balance: pd.DataFrame
    nuisances: dict[str, Nuisances]  # outcome -> cross-fitted e, mu0, mu1 (reused by CATE and policy)
    headline: dict[str, dict]  # outcome -> method, estimand, estimate, std_error, ci, n, reason, E-values
    verdict: str
    warnings: list[str]
    sensitivity: pd.DataFrame  # outcome: Manski bounds, E-values, DML robustness value
    propensity: PropensityComparison
    covariates: tuple[str, ...] = ()
    dropped_covariates: tuple[str, ...] = field(default_factory=tuple)
    treatment: np.ndarray | None = None  # T per unit (0/1), for the overlap figures of the report

    @property
    def e_raw(self) -> np.ndarray:
        """The unclipped cross-fitted propensity (the same for every outcome: it depends on T and X only)."""
        return next(iter(self.nuisances.values())).e_raw

    def summary_frame(self) -> pd.DataFrame:
        return self.ate.copy()
