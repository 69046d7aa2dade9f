"""Latent purchase factors: non-negative matrix factorisation of the scaled feature matrix (``transform.py``).

X (households x features, scaled to [0, 1]) is approximated by W H with W >= 0 (household factor scores)
and H >= 0 (factor loadings). This module scans the rank k and picks one by a written-down rule.

Definitions used in the scan table (X = scaled matrix, X^ = W H):

* ``reconstruction_error`` = ||X - X^||_F (sklearn's ``reconstruction_err_``, as in the reference).
* ``explained_variance_flat`` = 1 - var(X - X^) / var(X), variances over all matrix entries flattened (the
  reference's definition). It counts the spread *between* feature means as explained, so it is high even
  for k = 1 and flatters every k.
* ``r2_in_sample`` = mean over features of 1 - SS_res_j / SS_tot_j with SS_tot_j about the feature's own
  mean: the share of a typical feature's variance the factors reproduce.
* ``r2_heldout`` = the same, on households the scaler and the NMF were not fitted on: households are split
  into folds, H is learned on the other folds and the held-out households' scores are solved with H fixed
  (exactly how a new household is assigned). ``r2_heldout_se`` is the standard error across folds.
* ``sparsity_W_l1l2`` / ``sparsity_H_l1l2`` = ||M||_1 / ||M||_2 over all entries (the reference's measure;
  it grows with the matrix size). ``hoyer_W`` / ``hoyer_H`` = Hoyer's normalised sparsity
  (sqrt(N) - L1/L2) / (sqrt(N) - 1), 0 for a flat matrix and 1 for a single non-zero, comparable across k.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pandas as pd

from ..errors import SegtargetError
from ..parallel import parallel_map
from ..scale import make_nmf  # reference settings: nndsvda start, coordinate descent; online NMF at scale
from ..threads import single_threaded
from .config import SegmentSpec


def fit_nmf(X: np.ndarray, k: int, seed: int, max_iter: int = 1000, minibatch: bool = False):
    """Fit NMF quietly (hitting max_iter is reported through ``n_iter_``, not a warning per fit).

    ``minibatch`` switches to online NMF (above the scale threshold, see :mod:`segtarget.scale`)."""
    from sklearn.exceptions import ConvergenceWarning

    model = make_nmf(k, seed, max_iter, minibatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        W = model.fit_transform(X)
    return model, W


def nmf_transform(model, X: np.ndarray) -> np.ndarray:
    """Factor scores of new rows with the loadings held fixed."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.transform(X)


def flattened_explained_variance(X: np.ndarray, Xhat: np.ndarray) -> float:
    """The reference's "explained variance": 1 - var(X - X^) / var(X) over all entries."""
    return float(1.0 - np.var(X - Xhat) / np.var(X))


def per_feature_r2(X: np.ndarray, Xhat: np.ndarray) -> np.ndarray:
    """R^2 of each column about its own mean (NaN for a constant column)."""
    ss_res = ((X - Xhat) ** 2).sum(axis=0)
    ss_tot = ((X - X.mean(axis=0)) ** 2).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.nan)


def l1_l2_ratio(M: np.ndarray) -> float:
    norm2 = float(np.sqrt((M ** 2).sum()))
    return float(np.abs(M).sum() / norm2) if norm2 > 0 else 0.0


def hoyer_sparsity(M: np.ndarray) -> float:
    root_n = np.sqrt(M.size)
    return float((root_n - l1_l2_ratio(M)) / (root_n - 1.0)) if M.size > 1 else 0.0


def household_folds(n: int, n_folds: int, seed: int) -> np.ndarray:
    """Fold id per household (a seeded permutation cut into near-equal parts)."""
    folds = np.empty(n, dtype=int)
    for f, part in enumerate(np.array_split(np.random.default_rng(seed).permutation(n), n_folds)):
        folds[part] = f
    return folds


def heldout_r2(X_raw: np.ndarray, k: int, folds: np.ndarray, seed: int, spec: SegmentSpec) -> np.ndarray:
    """Per-fold mean per-feature R^2 on held-out households (scaler and NMF fitted without them)."""
    from .featureset import scale_for_nmf
    from .transform import FeatureScaler

    scores = []
    for f in np.unique(folds):
        train, test = folds != f, folds == f
        scaler = FeatureScaler(spec.transform, spec.skew_threshold).fit(X_raw[train])
        model, _ = fit_nmf(scale_for_nmf(scaler, X_raw[train]), k, seed, spec.nmf_max_iter, spec.minibatch)
        Z = scale_for_nmf(scaler, X_raw[test])
        scores.append(np.nanmean(per_feature_r2(Z, nmf_transform(model, Z) @ model.components_)))
    return np.asarray(scores)


@single_threaded
def _scan_one(k: int, X: np.ndarray, X_raw: np.ndarray, folds: np.ndarray, seed: int, spec: SegmentSpec) -> dict:
    model, W = fit_nmf(X, k, seed, spec.nmf_max_iter, spec.minibatch)
    H = model.components_
    Xhat = W @ H
    cv = heldout_r2(X_raw, k, folds, seed, spec)
    return {
        "k": k,
        "reconstruction_error": float(model.reconstruction_err_),
        "explained_variance_flat": flattened_explained_variance(X, Xhat),
        "r2_in_sample": float(np.nanmean(per_feature_r2(X, Xhat))),
        "r2_heldout": float(cv.mean()),
        "r2_heldout_se": float(cv.std(ddof=1) / np.sqrt(len(cv))) if len(cv) > 1 else float("nan"),
        "sparsity_W_l1l2": l1_l2_ratio(W),
        "sparsity_H_l1l2": l1_l2_ratio(H),
        "hoyer_W": hoyer_sparsity(W),
        "hoyer_H": hoyer_sparsity(H),
        "n_iter": int(model.n_iter_),
        "converged": bool(model.n_iter_ < spec.nmf_max_iter),
    }


def scan_factors(X: np.ndarray, X_raw: np.ndarray, ks: range, spec: SegmentSpec, *, seed: int, n_folds: int = 3,
                 n_jobs: int = -1, backend: str = "joblib") -> pd.DataFrame:
    """One row per NMF rank k with the measures defined in the module docstring (online NMF if
    ``spec.minibatch``).

    ``X`` is the scaled matrix; held-out folds refit a ``FeatureScaler(spec.transform, spec.skew_threshold)``."""
    if n_folds < 2:
        raise SegtargetError("config 'segments.nmf_cv_folds': use at least 2 folds")
    folds = household_folds(len(X_raw), n_folds, seed)
    task = functools.partial(_scan_one, X=X, X_raw=X_raw, folds=folds, seed=seed, spec=spec)
    return pd.DataFrame(parallel_map(task, list(ks), n_jobs=n_jobs, backend=backend))


def choose_nmf_k(scan: pd.DataFrame, rule: str, r2_target: float, fixed: int = 0,
                 min_gain: float = 0.1) -> tuple[int, str]:
    """The NMF rank and the sentence that explains why.

    ``fixed > 0`` wins. ``"r2"``: start at the smallest k whose held-out mean per-feature R^2 reaches
    ``r2_target`` (the largest k if none does), then keep adding a factor while it raises the held-out R^2
    by at least ``min_gain`` (a factor must carry that much of a typical feature's variance on new
    households). ``"elbow"``: with k and the held-out R^2 both rescaled to [0, 1], the k farthest above the
    straight line joining the first and last point of the curve.
    """
    if fixed > 0:
        return fixed, f"fixed by configuration (segments.nmf_k = {fixed})"
    s = scan.sort_values("k", ignore_index=True)
    ks, r2 = s["k"].to_numpy(), s["r2_heldout"].to_numpy()
    if rule == "r2":
        reached = np.flatnonzero(r2 >= r2_target)
        if not len(reached):
            return int(ks[-1]), (f"no rank reached held-out mean R^2 >= {r2_target:.2f}; took the largest scanned "
                                 f"k = {int(ks[-1])} (held-out R^2 {r2[-1]:.3f})")
        i = int(reached[0])
        why = f"smallest k with held-out mean per-feature R^2 >= {r2_target:.2f} is {int(ks[i])} ({r2[i]:.3f})"
        start = i
        while i + 1 < len(ks) and r2[i + 1] - r2[i] >= min_gain:
            i += 1
        if i > start:
            why += f"; factors added while each raised it by >= {min_gain:.2f}, up to k = {int(ks[i])} ({r2[i]:.3f})"
        nxt = f"; the next factor adds {r2[i + 1] - r2[i]:+.3f}" if i + 1 < len(ks) else ""
        return int(ks[i]), why + nxt
    if rule == "elbow":
        if len(ks) < 3:
            raise SegtargetError("segments.nmf_rule = 'elbow' needs at least 3 scanned ranks; widen nmf_k_min..nmf_k_max")
        x = (ks - ks[0]) / (ks[-1] - ks[0])
        y = (r2 - r2.min()) / (r2.max() - r2.min()) if r2.max() > r2.min() else np.zeros_like(r2)
        i = int(np.argmax(y - (y[0] + (y[-1] - y[0]) * x)))
        return int(ks[i]), (f"elbow of the held-out R^2 curve (largest distance above the chord, k = {int(ks[i])}: "
                            f"{r2[i]:.3f})")
    raise SegtargetError(f"config 'segments.nmf_rule' = {rule!r} is unknown; use 'r2' or 'elbow'")


def loadings_frame(H: np.ndarray, features: tuple[str, ...], factor_labels: list[str]) -> pd.DataFrame:
    """Loadings as a tidy table: one row per factor, one column per feature."""
    out = pd.DataFrame(H, columns=list(features))
    out.insert(0, "factor", factor_labels)
    return out


def feature_r2_frame(X: np.ndarray, Xhat: np.ndarray, features: tuple[str, ...]) -> pd.DataFrame:
    """How well the chosen factors reproduce each feature (in-sample R^2 about the feature mean)."""
    return pd.DataFrame({"feature": list(features), "r2": per_feature_r2(X, Xhat)}).sort_values(
        "r2", ascending=False, ignore_index=True)
