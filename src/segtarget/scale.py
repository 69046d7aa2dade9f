"""Model stages at retailer scale: when to switch to online estimators, and stratified sampling.

Definitions
-----------
- **scale threshold** (:data:`SCALE_THRESHOLD_HOUSEHOLDS`, 50,000 households): at or below it the
  segmentation runs exactly as on the embedded data. Above it, segmentation fits MiniBatch K-Means and
  online (mini-batch) NMF, whose cost per pass grows linearly with households and whose memory is one
  batch. 50,000 is where a full K-Means scan (k = 2..10, 10 restarts) stops fitting in minutes on two cores.
- **CATE sample threshold** (:data:`CATE_SAMPLE_THRESHOLD`, 20,000 units, equal to
  :data:`CATE_SAMPLE_SIZE`): above it the CATE stage fits its models on a stratified sample of
  :data:`CATE_SAMPLE_SIZE` units and then scores every unit with the fitted model. The zoo (7 models x 5
  folds, 45 refutation refits, 10 ranking-test refits) costs about the same per unit at any size, so with
  threshold = sample size its cost grows linearly up to 20,000 units and stays flat above: it never jumps
  (with the former threshold of 50,000, 49,713 units took 32 minutes, 2.5 times the units of a sampled fit
  and many times its time).
- **stratified sample**: within each stratum (a combination of the strata columns) the sample takes a
  share of rows equal to the stratum's share of the data (largest-remainder rounding, at least one row
  from every stratum when ``n`` allows), chosen uniformly at random with a seeded generator. For the
  CATE stage the strata are treatment arm x outcome quintile (:func:`outcome_strata`), so both arms and
  the outcome's tails keep their proportions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import SegtargetError

SCALE_THRESHOLD_HOUSEHOLDS = 50_000
CATE_SAMPLE_SIZE = 20_000
CATE_SAMPLE_THRESHOLD = CATE_SAMPLE_SIZE  # fit the CATE zoo on at most this many units (module docstring)
MINIBATCH_SIZE = 4_096  # rows per K-Means / NMF mini-batch: large enough for stable centroid updates
SILHOUETTE_SAMPLE = 20_000  # above the threshold, silhouettes (O(n^2) distances) use a seeded sample of this size


@dataclass(frozen=True)
class ScalePlan:
    """How the model stages run for a given number of households."""

    n_households: int
    threshold: int
    large: bool
    cate_sample: int | None  # households the CATE models are fitted on; None = all
    sample_size: int = CATE_SAMPLE_SIZE  # the sample a CATE fit above the threshold takes

    def segments_note(self) -> str:
        """Track 1's sentences: what changed in the segmentation at this size (empty up to SILHOUETTE_SAMPLE)."""
        sampled = (f"The silhouettes of the K-Means scan use a seeded sample of {SILHOUETTE_SAMPLE:,} of the "
                   f"{self.n_households:,} households (all pairwise distances grow with the square of the "
                   "households)." if self.n_households > SILHOUETTE_SAMPLE else "")
        if not self.large:
            return sampled
        return (f"{self._above()}: segments come from MiniBatch K-Means on online-NMF factors (mini-batches of "
                f"{MINIBATCH_SIZE:,} households) in the rank scans, the final fit and every bootstrap refit. "
                + sampled).strip()

    def cate_note(self) -> str:
        """The CATE stage's sentence: fitted on a stratified sample, scored on everyone (empty below)."""
        if not self.large:
            return ""
        return f"{self._above()}: {self._cate_clause()}"

    def cate_rule(self) -> str:
        """The CATE stage's sampling rule and what it did at this size (a sentence for the method note)."""
        done = (f"{self.n_households:,} units is above it, so the models were fitted on a stratified sample of "
                f"{self.cate_sample:,}" if self.large else
                f"the models were fitted on all {self.n_households:,} units")
        return (f"Sampling rule: the CATE models are fitted on at most cate.sample_threshold = {self.threshold:,} "
                f"units (above it on a stratified sample of cate.sample_size = {self.sample_size:,}, treatment x "
                f"outcome quintile, and the selected model scores everyone), so the stage's cost stops growing "
                f"with the data; {done}.")

    def note(self) -> str:
        """One sentence for the report saying what changed at this size (empty below the threshold)."""
        if not self.large:
            return ""
        return (f"{self._above()}: segments come from MiniBatch K-Means on online-NMF factors, and "
                f"{self._cate_clause()}")

    def _above(self) -> str:
        return f"{self.n_households:,} households is above the scale threshold of {self.threshold:,}"

    def _cate_clause(self) -> str:
        return (f"the CATE models were fitted on a stratified sample of {self.cate_sample:,} households "
                "(treatment x outcome quintile) and then scored on every household.")

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"n_households": self.n_households, "threshold": self.threshold,
                              "large": self.large, "cate_sample": self.cate_sample, "note": self.note()}])


def plan_scale(n_households: int, threshold: int = SCALE_THRESHOLD_HOUSEHOLDS,
               cate_sample_size: int = CATE_SAMPLE_SIZE) -> ScalePlan:
    """The :class:`ScalePlan` for ``n_households`` (strictly above ``threshold`` = large)."""
    if threshold < 1 or cate_sample_size < 1:
        raise SegtargetError(f"scale threshold {threshold} and CATE sample size {cate_sample_size} must be >= 1")
    large = n_households > threshold
    return ScalePlan(n_households=int(n_households), threshold=int(threshold), large=large,
                     cate_sample=min(int(cate_sample_size), int(n_households)) if large else None,
                     sample_size=int(cate_sample_size))


def _allocate(sizes: np.ndarray, n: int) -> np.ndarray:
    """Proportional allocation of ``n`` over strata of ``sizes`` (largest remainder, >= 1 each if possible)."""
    quota = sizes / sizes.sum() * n
    take = np.floor(quota).astype(int)
    floor = 1 if n >= len(sizes) else 0
    take = np.maximum(take, floor)
    order = np.argsort(-(quota - np.floor(quota)), kind="stable")
    i = 0
    while take.sum() < n:
        j = order[i % len(order)]
        if take[j] < sizes[j]:
            take[j] += 1
        i += 1
    while take.sum() > n:  # the >= 1 floor can overshoot: trim the most over-served stratum above the floor
        j = int(np.argmax(np.where(take > floor, take - quota, -np.inf)))
        take[j] -= 1
    return np.minimum(take, sizes)


def stratified_sample(df: pd.DataFrame, strata_cols, n: int, seed: int) -> pd.Index:
    """Index labels of ``n`` rows of ``df`` sampled proportionally within strata (see module docstring).

    Returns every row when ``n >= len(df)``. The result is sorted in ``df``'s row order, and the same
    seed always gives the same rows.
    """
    cols = [strata_cols] if isinstance(strata_cols, str) else list(strata_cols)
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise SegtargetError(f"stratified_sample: column '{missing[0]}' not in the table; "
                             f"strata must be among {', '.join(map(str, df.columns[:10]))}")
    if n < 1:
        raise SegtargetError(f"stratified_sample: n={n} must be at least 1")
    if n >= len(df):
        return df.index
    codes = df.groupby(cols, sort=True, dropna=False).ngroup().to_numpy() if cols else np.zeros(len(df), int)
    sizes = np.bincount(codes)
    take = _allocate(sizes, n)
    rng = np.random.default_rng(seed)
    positions = []
    for stratum in np.flatnonzero(take):
        members = np.flatnonzero(codes == stratum)
        positions.append(rng.choice(members, size=take[stratum], replace=False))
    return df.index[np.sort(np.concatenate(positions))]


def outcome_strata(T, Y, n_bins: int = 5) -> np.ndarray:
    """Stratum label per unit: treatment arm x outcome quantile bin (ties share a bin)."""
    T, Y = np.asarray(T), np.asarray(Y, dtype=float)
    if len(T) != len(Y):
        raise SegtargetError(f"outcome_strata: T has {len(T)} rows but Y has {len(Y)}")
    ranks = pd.Series(Y).rank(method="average", pct=True).to_numpy()
    bins = np.minimum((ranks * n_bins).astype(int), n_bins - 1)
    return np.asarray(T).astype(int) * n_bins + bins


def make_kmeans(n_clusters: int, seed: int, n_init: int = 10, minibatch: bool = False):
    """K-Means (k-means++, ``n_init`` restarts), or MiniBatch K-Means on mini-batches when ``minibatch``."""
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if minibatch:
        return MiniBatchKMeans(n_clusters=n_clusters, batch_size=MINIBATCH_SIZE, n_init=n_init, random_state=seed)
    return KMeans(n_clusters=n_clusters, n_init=n_init, random_state=seed)


def make_nmf(n_components: int, seed: int, max_iter: int = 1000, minibatch: bool = False):
    """Coordinate-descent NMF (nndsvda start, Frobenius loss), or online NMF (``MiniBatchNMF``) when ``minibatch``."""
    from sklearn.decomposition import NMF, MiniBatchNMF

    if minibatch:
        return MiniBatchNMF(n_components=n_components, batch_size=MINIBATCH_SIZE, init="nndsvda",
                            max_iter=max_iter, random_state=seed)
    return NMF(n_components=n_components, init="nndsvda", max_iter=max_iter, random_state=seed)


def kmeans_estimator(n_clusters: int, n_households: int, *, seed: int, n_init: int = 10,
                     threshold: int = SCALE_THRESHOLD_HOUSEHOLDS):
    """K-Means at or below the threshold, MiniBatch K-Means above it (same k, seed and restarts)."""
    return make_kmeans(n_clusters, seed, n_init, minibatch=n_households > threshold)


def nmf_estimator(n_components: int, n_households: int, *, seed: int, max_iter: int = 1000,
                  threshold: int = SCALE_THRESHOLD_HOUSEHOLDS):
    """Coordinate-descent NMF at or below the threshold, online (mini-batch) NMF above it."""
    return make_nmf(n_components, seed, max_iter, minibatch=n_households > threshold)


__all__ = ["SCALE_THRESHOLD_HOUSEHOLDS", "CATE_SAMPLE_SIZE", "CATE_SAMPLE_THRESHOLD", "ScalePlan", "plan_scale",
           "stratified_sample",
           "outcome_strata", "kmeans_estimator", "nmf_estimator", "make_kmeans", "make_nmf"]
