"""Cross-fitted policy selection: choose on K-1 folds, value on the held-out fold.

Every candidate policy is a contact probability per unit. For an outer fold k the candidate with the
largest doubly-robust profit on the units *outside* fold k is chosen and then applied to the units of fold
k; the recommended policy's value is the sum of those held-out contributions over all folds. The choice for
fold k never looks at fold k's outcomes, so the number printed for "recommended" is the value of the whole
procedure (choice included), not the maximum of many noisy estimates.

A candidate may be given as one vector ``pi`` (the same decisions whatever fold is held out; e.g. a
threshold on an out-of-fold CATE) or as a ``(K, n)`` matrix whose row k holds the decisions used when fold
k is held out (nested cross-fitting of a learned policy: row k's values outside fold k come from inner
fits that never saw fold k, and those inside fold k from a fit on all the other folds).

Per-unit profit contribution of contacting unit i: ``r_i = m psi_sales_i - psi_disc_i - c`` (see
:mod:`.profit`); a policy's contribution is ``pi_i r_i``. Standard errors are clustered by household
(a household can be a unit in several trials of a stacked design).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..stats import Z95
from .value import clustered_total

UNIFORM = ("everyone", "no one")


def _row(pi: np.ndarray, k: int) -> np.ndarray:
    pi = np.asarray(pi, float)
    return pi[k] if pi.ndim == 2 else pi


@dataclass(frozen=True)
class SelectionResult:
    """The held-out value of "choose the best candidate on the other folds" and of its uniform baseline."""

    chosen: dict  # fold -> chosen policy name
    uniform_chosen: dict  # fold -> "everyone" / "no one" (best uniform action on the other folds)
    pi: np.ndarray  # held-out decision per unit (the chosen policy's decision for the unit's fold)
    value: float
    se: float
    ci: tuple[float, float]
    gain: float  # held-out value minus the held-out value of the best uniform action
    gain_se: float
    gain_ci: tuple[float, float]
    uniform_value: float
    uniform_ci: tuple[float, float]

    @property
    def label(self) -> str:
        """The chosen policy when every fold agrees, else the folds' choices by frequency."""
        names = pd.Series(list(self.chosen.values())).value_counts()
        return str(names.index[0]) if len(names) == 1 else " / ".join(names.index.astype(str))

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"fold": k, "chosen": v, "best_uniform": self.uniform_chosen[k]}
                             for k, v in self.chosen.items()])


def _best(cands: dict, r: np.ndarray, mask: np.ndarray, k: int) -> str:
    vals = {name: float((_row(pi, k)[mask] * r[mask]).sum()) for name, pi in cands.items()}
    # ties -> the policy contacting fewer units (cheaper to run, nothing lost)
    return max(vals, key=lambda n: (round(vals[n], 9), -float(_row(cands[n], k)[mask].sum())))


def crossfit_select(candidates: dict, r, folds, clusters) -> SelectionResult:
    """Choose on the other folds, value on the held-out fold (see module docstring)."""
    r = np.asarray(r, float)
    folds = np.asarray(folds)
    pi = np.zeros(len(r))
    uni = np.zeros(len(r))
    chosen, uchosen = {}, {}
    for k in np.unique(folds):
        train, test = folds != k, folds == k
        name = _best(candidates, r, train, k)
        uname = _best({u: candidates[u] for u in UNIFORM}, r, train, k)
        chosen[int(k)], uchosen[int(k)] = name, uname
        pi[test] = _row(candidates[name], k)[test]
        uni[test] = _row(candidates[uname], k)[test]
    value, se = clustered_total(pi * r, clusters)
    gain, gse = clustered_total((pi - uni) * r, clusters)
    uval, use = clustered_total(uni * r, clusters)
    return SelectionResult(
        chosen=chosen, uniform_chosen=uchosen, pi=pi, value=value, se=se, ci=(value - Z95 * se, value + Z95 * se),
        gain=gain, gain_se=gse, gain_ci=(gain - Z95 * gse, gain + Z95 * gse), uniform_value=uval,
        uniform_ci=(uval - Z95 * use, uval + Z95 * use))
