"""Profit as data: doubly-robust effect scores on sales and on the retailer-funded discount.

Profit of contacting unit i (campaign-window dollars) = margin x extra sales - extra retailer-funded discount
- contact cost. The retailer-funded discount is ``retailer_discount`` (Σ coupon_match_disc in the window)
plus, when ``policy.coupons_retailer_funded`` is true, ``coupon_discount`` (Σ coupon_disc): the extra
discount a campaign causes is an estimated effect with its own AIPW score, not an assumed number.

AIPW scores are linear in Y for fixed nuisances, so with outcome models fit separately per outcome

    psi_profit = margin * psi_sales - psi_discount    (same e(x), same folds)

and a new margin needs no refit: the scores below are computed once (cached with the causal stages) and the
policy step combines them.

Averaging over splits: the ATE averages (medians) its estimates over ``ate.crossfit_repeats`` independent
fold splits. The policy uses the per-unit mean of the AIPW scores over the same number of splits: the first
is the ATE's exported split (its ``Nuisances``), the others are refit here with folds grouped by household
(a household's units never sit on both sides of a split). Every score of every split comes from nuisances
that never saw the unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import require

DISCOUNT_OUTCOMES = ("retailer_discount", "coupon_discount")


def discount_columns(coupons_retailer_funded: bool) -> tuple[str, ...]:
    """The cohort columns whose sum is the retailer-funded discount."""
    return DISCOUNT_OUTCOMES if coupons_retailer_funded else DISCOUNT_OUTCOMES[:1]


def check_discount_columns(data: pd.DataFrame, coupons_retailer_funded: bool) -> None:
    """One-line error naming the missing discount column the profit outcome needs."""
    for col in discount_columns(coupons_retailer_funded):
        require(col in data.columns,
                f"cohort column {col}: missing; the profit outcome needs it (the study design computes "
                f"{col} from the transactions' discounts; "
                + ("set policy.coupons_retailer_funded=false to leave coupon_disc out)"
                   if col == "coupon_discount" else "check that the source has coupon_match_disc)"))


def grouped_folds(T, groups, n_folds: int, seed: int) -> np.ndarray:
    """Fold id per unit, stratified by treatment, with all units of a household in one fold."""
    from ..causal.nuisance import make_folds

    return make_folds(np.asarray(T, int), n_folds, seed, groups)


@dataclass(frozen=True)
class EffectScores:
    """Per-unit AIPW scores, averaged over cross-fitting splits, for each outcome."""

    scores: dict  # outcome -> np.ndarray
    n_splits: int

    def discount(self, columns: tuple[str, ...]) -> np.ndarray:
        """Sum of the discount scores of ``columns`` (the retailer-funded discount a contact causes)."""
        return sum((np.asarray(self.scores[c], float) for c in columns), np.zeros(len(self.scores["sales"])))

    def profit(self, margin: float, discount: tuple[str, ...]) -> np.ndarray:
        """m * psi_sales - psi_discount: the per-unit profit score before the contact cost."""
        return margin * np.asarray(self.scores["sales"], float) - self.discount(discount)

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"outcome": k, "mean_score": float(np.mean(v)), "n_splits": self.n_splits}
                             for k, v in self.scores.items()])


def _outcome_nuisances(y, T, X, base, seed: int):
    """``base`` (a split's Nuisances) with mu0, mu1 refit for outcome ``y`` on the same folds; the propensity
    depends on (T, X) only, so it is shared by every outcome of the split."""
    import dataclasses

    from ..causal.nuisance import crossfit_control_outcome, crossfit_outcome

    return dataclasses.replace(base, mu0=crossfit_control_outcome(y, T, X, base.folds, seed),
                               mu1=crossfit_outcome(y, T, X, base.folds, seed, arm=1))


def averaged_scores(Y: dict, T, X, first: dict, *, groups, repeats: int, n_folds: int, seed: int,
                    clip: tuple[float, float]) -> EffectScores:
    """Mean AIPW score per unit over ``repeats`` splits (see module docstring).

    ``Y`` maps a score name ("sales", "retailer_discount", ...) to its outcome array, the first being the one
    whose nuisances carry the split's propensity; ``first`` maps names to the exported split's
    :class:`~segtarget.causal.nuisance.Nuisances` where they exist.
    """
    from ..causal.ate.pipeline import split_seeds
    from ..causal.nuisance import crossfit_nuisances, dr_scores

    T = np.asarray(T, int)
    X = np.asarray(X, float)
    names = list(Y)
    sums = {k: np.zeros(len(T)) for k in names}
    seeds = split_seeds(seed, max(repeats, 1))
    for i, s in enumerate(seeds):
        folds = first_folds(first) if i == 0 else None
        if folds is None:
            folds = grouped_folds(T, groups, n_folds, s)
        lead = first.get(names[0]) if i == 0 else None
        if lead is None:
            lead = crossfit_nuisances(Y[names[0]], T, X, n_folds=n_folds, random_state=s, clip=clip, folds=folds)
        for name in names:
            nuis = first.get(name) if i == 0 else None
            if nuis is None:
                nuis = lead if name == names[0] else _outcome_nuisances(np.asarray(Y[name], float), T, X, lead, s)
            sums[name] += dr_scores(Y[name], T, nuis)
    return EffectScores({k: v / len(seeds) for k, v in sums.items()}, len(seeds))


def first_folds(first: dict) -> np.ndarray | None:
    """The exported split's folds when any outcome has them (split 1 is then the ATE's split for every outcome;
    None: fold it anew)."""
    for nuis in first.values():
        if nuis is not None:
            return nuis.folds
    return None
