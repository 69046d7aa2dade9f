"""Bootstrap stability of the segmentation.

Full-pipeline bootstrap (default): draw n households with replacement, refit the *whole* pipeline
(feature scaler, NMF, K-Means at the chosen ranks) on the resample, and label every household with it.

* ARI: adjusted Rand index between the reference labels and the resample's labels of all households.
* Jaccard (Hennig 2007, "clusterboot"): for each reference segment C, restricted to the distinct
  households in the resample, the best Jaccard |C ∩ D| / |C ∪ D| over the resample's clusters D (on the
  same households). Hennig's reading of the mean Jaccard: < 0.6 unstable ("dissolved" artefact),
  0.6-0.75 a pattern but not a well-separated cluster, >= 0.75 valid, >= 0.85 highly stable. A single
  resample with Jaccard <= 0.5 counts as the segment dissolving.

Reassignment rate: per household, the share of full refits whose matched segment (``reassigned``) is not its
reported one; its mean over a segment is what assignment noise alone would move (used by ``migration.py``).

Reference variant (comparison only): factor scores fixed, K-Means alone refit on 80% of households drawn
with replacement, ARI on the drawn rows including duplicates (reference_spec.md §2.5). It ignores NMF
uncertainty and so overstates stability.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..deprecation import renamed_keywords
from ..parallel import parallel_map, task_seeds
from ..scale import make_kmeans
from .config import SegmentSpec
from .model import add_kmeans, factor_scores, fit_factors
from ..threads import single_threaded

DISSOLVED = 0.5


def hennig_verdict(mean_jaccard: float) -> str:
    if mean_jaccard >= 0.85:
        return "highly stable"
    if mean_jaccard >= 0.75:
        return "stable"
    if mean_jaccard >= 0.6:
        return "pattern, weakly separated"
    return "unstable"


def best_jaccard(reference: np.ndarray, other: np.ndarray, n_ref: int) -> np.ndarray:
    """For each reference cluster 0..n_ref-1, the best Jaccard with any cluster of ``other`` (NaN if empty)."""
    out = np.full(n_ref, np.nan)
    n_other = int(other.max()) + 1
    table = np.zeros((n_ref, n_other))
    np.add.at(table, (reference, other), 1)
    sizes_r, sizes_o = table.sum(axis=1), table.sum(axis=0)
    for c in range(n_ref):
        if sizes_r[c] > 0:
            out[c] = float((table[c] / (sizes_r[c] + sizes_o - table[c])).max())
    return out


def resample_scores(seed: int, X_raw: np.ndarray, refs: dict[int, np.ndarray], n_factors: int,
                    spec: SegmentSpec) -> dict[int, tuple[float, np.ndarray, np.ndarray]]:
    """One full-pipeline resample: refit scaler + NMF once, then K-Means for every k in ``refs``.

    ``refs`` maps k -> reference labels of all households at that k. Returns k -> (ARI over all households,
    best Jaccard per reference segment on the distinct in-bag households, per-household reassigned flag)."""
    from sklearn.metrics import adjusted_rand_score

    idx = np.random.default_rng(seed).integers(0, len(X_raw), len(X_raw))
    inbag = np.unique(idx)
    factors = fit_factors(X_raw[idx], n_factors, seed, spec)
    W_all = factor_scores(factors, X_raw)  # every household scored by the resample's scaler and NMF
    out = {}
    for k, ref in refs.items():
        parts = add_kmeans(factors, k, seed, spec)
        labels = parts["order"][parts["kmeans"].predict(W_all)]
        out[k] = (float(adjusted_rand_score(ref, labels)), best_jaccard(ref[inbag], labels[inbag], k),
                  reassigned(ref, labels, k))
    return out


def reassigned(ref: np.ndarray, labels: np.ndarray, n_ref: int) -> np.ndarray:
    """Per household: True if a refit puts it outside its reference segment.

    Each refit cluster is matched to the reference segment it shares most households with; a household is
    reassigned when its refit cluster's match is not its reference segment."""
    table = np.zeros((max(int(labels.max()) + 1, 1), n_ref))
    np.add.at(table, (labels, ref), 1)
    return table.argmax(axis=1)[labels] != ref


@single_threaded
def _full_one(seed: int, **kw) -> dict[int, tuple[float, np.ndarray, np.ndarray]]:
    return resample_scores(seed, **kw)


@single_threaded
def _kmeans_only_one(seed: int, W: np.ndarray, ref: np.ndarray, n_segments: int, spec: SegmentSpec) -> float:
    from sklearn.metrics import adjusted_rand_score

    idx = np.random.default_rng(seed).integers(0, len(W), int(0.8 * len(W)))
    labels = make_kmeans(n_segments, seed, spec.kmeans_n_init, spec.minibatch).fit(W[idx]).labels_
    return float(adjusted_rand_score(ref[idx], labels))


@dataclass(frozen=True)
class StabilityResult:
    """Per-resample ARIs and Jaccards, plus the reference-variant ARIs (empty if not run)."""

    ari: np.ndarray
    jaccard: np.ndarray  # resamples x segments
    kmeans_only_ari: np.ndarray
    reassignment: np.ndarray | None = None  # per household: share of full refits that move it (``reassigned``)

    def segment_reassignment(self, ref_labels: np.ndarray) -> np.ndarray:
        """Mean reassignment rate of the households of each reference segment (NaN if not recorded)."""
        k = self.jaccard.shape[1]
        if self.reassignment is None or not len(self.reassignment):
            return np.full(k, np.nan)
        return np.array([self.reassignment[ref_labels == s].mean() if (ref_labels == s).any() else np.nan
                         for s in range(k)])

    def summary_frame(self) -> pd.DataFrame:
        """One row per procedure: resamples, mean ARI, sd, 2.5% and 97.5% percentiles."""
        rows = []
        for name, a in (("full pipeline (scaler+NMF+K-Means refit)", self.ari),
                        ("reference variant (K-Means only, 80% resample)", self.kmeans_only_ari)):
            if len(a):
                lo, hi = np.percentile(a, [2.5, 97.5])
                rows.append({"procedure": name, "resamples": len(a), "ari_mean": a.mean(), "ari_sd": a.std(ddof=1) if len(a) > 1 else np.nan,
                             "ari_p2.5": lo, "ari_p97.5": hi})
        return pd.DataFrame(rows)

    def segment_frame(self, names: dict[int, str] | None = None) -> pd.DataFrame:
        """Per reference segment: mean/sd/percentiles of the best Jaccard, dissolved share, Hennig verdict."""
        rows = []
        for s in range(self.jaccard.shape[1]):
            j = self.jaccard[:, s]
            j = j[~np.isnan(j)]
            lo, hi = np.percentile(j, [2.5, 97.5])
            rows.append({"segment": s, "name": (names or {}).get(s, str(s)), "jaccard_mean": j.mean(),
                         "jaccard_sd": j.std(ddof=1) if len(j) > 1 else np.nan, "jaccard_p2.5": lo,
                         "jaccard_p97.5": hi, "dissolved_share": float((j <= DISSOLVED).mean()),
                         "verdict": hennig_verdict(j.mean())})
        return pd.DataFrame(rows)


def _chunks(seeds: list[int], n_chunks: int) -> list[list[int]]:
    return [list(c) for c in np.array_split(np.asarray(seeds), max(1, min(n_chunks, len(seeds)))) if len(c)]


def bootstrap_curve(X_raw: np.ndarray, refs: dict[int, np.ndarray], spec: SegmentSpec, *, n_factors: int,
                    n_boot: int, seed: int, n_jobs: int = -1, backend: str = "joblib", progress=None,
                    step: str = "segments: bootstrap (full pipeline)") -> dict[int, StabilityResult]:
    """Full-pipeline bootstrap for several segment counts at once (k -> result without the K-Means-only part).

    Each resample refits the scaler and NMF once and K-Means once per k, so a stability-versus-k curve
    costs little more than one k. ``progress(step, fraction)`` is called per chunk."""
    seeds = task_seeds(seed, n_boot)
    full = functools.partial(_full_one, X_raw=X_raw, refs=refs, n_factors=n_factors, spec=spec)
    results: list[dict] = []
    # Chunks only exist to report progress; every resample keeps its own seed, so results do not depend on them.
    chunks = _chunks(seeds, 10 if progress else 1)
    for i, chunk in enumerate(chunks):
        results += parallel_map(full, chunk, n_jobs=n_jobs, backend=backend)
        if progress:
            progress(step, (i + 1) / len(chunks))
    return {k: StabilityResult(ari=np.array([r[k][0] for r in results]),
                               jaccard=np.vstack([r[k][1] for r in results]) if results else np.empty((0, k)),
                               kmeans_only_ari=np.array([]),
                               reassignment=np.mean([r[k][2] for r in results], axis=0) if results else None)
            for k in refs}


@renamed_keywords(seed="random_state")
def bootstrap_stability(X_raw: np.ndarray, W: np.ndarray, ref_labels: np.ndarray, spec: SegmentSpec, *,
                        n_factors: int, n_segments: int, n_boot: int, random_state: int, kmeans_only: bool = True,
                        n_jobs: int = -1, backend: str = "joblib", progress=None) -> StabilityResult:
    """Run both bootstraps (see module docstring); ``progress(step, fraction)`` is called per chunk.

    Every refit uses ``spec`` (the reported model's ``spec_``: ``spec.minibatch`` refits with the online
    estimators above the scale threshold, as the reported model was fit)."""
    full = bootstrap_curve(X_raw, {n_segments: ref_labels}, spec, n_factors=n_factors, n_boot=n_boot,
                           seed=random_state, n_jobs=n_jobs, backend=backend, progress=progress)[n_segments]
    km = np.array([])
    if kmeans_only and n_boot:
        task = functools.partial(_kmeans_only_one, W=W, ref=ref_labels, n_segments=n_segments, spec=spec)
        km = np.array(parallel_map(task, task_seeds(random_state + 1, n_boot), n_jobs=n_jobs, backend=backend))
    return StabilityResult(ari=full.ari, jaccard=full.jaccard, kmeans_only_ari=km, reassignment=full.reassignment)
