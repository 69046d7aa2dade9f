"""Track 1 approaches that were tried and NOT kept: consensus clustering and NMF random-init restarts.

Run as a script: ``python benchmarks/explore_segments.py [--outer 6]``; writes the "track1-explore" section
of benchmarks/RESULTS.md. Both are scored like the product scores itself (full-pipeline resamples, ARI to
the procedure's own full-data partition, per-segment mean Jaccard on in-bag households), with fewer outer
resamples because each consensus fit is itself 20 refits.

* Consensus clustering (Monti et al. 2003): 20 bootstrap refits of scaler + NMF + K-Means label every
  household; the co-association matrix (share of refits putting two households together) is cut into k
  groups by average-linkage clustering of 1 - co-association; new households go to the nearest group mean
  in factor space. The whole procedure is refit inside every outer resample.
* NMF restarts: random initialisation, 3 restarts, keep the smallest reconstruction error (instead of the
  deterministic nndsvda start); then K-Means as usual.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _results import machine, write_section  # noqa: E402
from bench_segments import features_file  # noqa: E402

INNER = 20


def _scores(parts, X):
    from segtarget.segments.featureset import scale_for_nmf

    return parts["nmf"].transform(scale_for_nmf(parts["scaler"], X))


def _fit_restarts(X, transform, r, k, seed):
    from sklearn.decomposition import NMF

    from segtarget.segments.featureset import scale_for_nmf
    from segtarget.segments.config import SegmentSpec
    from segtarget.segments.model import add_kmeans
    from segtarget.segments.transform import FeatureScaler

    scaler = FeatureScaler(transform).fit(X)
    Z = scale_for_nmf(scaler, X)
    fits = [NMF(r, init="random", random_state=seed + i, max_iter=1000).fit(Z) for i in range(3)]
    nmf = min(fits, key=lambda m: m.reconstruction_err_)
    parts = add_kmeans({"scaler": scaler, "nmf": nmf, "W": nmf.transform(Z)}, k, seed, SegmentSpec(transform))
    return lambda Xn: parts["kmeans"].predict(_scores(parts, Xn))


def _fit_consensus(X, transform, r, k, seed):
    from sklearn.cluster import AgglomerativeClustering

    from segtarget.segments.config import SegmentSpec
    from segtarget.segments.model import fit_core, predict_core

    n = len(X)
    co = np.zeros((n, n), dtype=np.float32)
    for i in range(INNER):
        idx = np.random.default_rng(seed * 1000 + i).integers(0, n, n)
        lab = predict_core(fit_core(X[idx], r, k, seed * 1000 + i, SegmentSpec(transform)), X)
        co += lab[:, None] == lab[None, :]
    groups = AgglomerativeClustering(k, metric="precomputed", linkage="average").fit(1 - co / INNER).labels_
    parts = fit_core(X, r, k, seed, SegmentSpec(transform))
    W = parts["W"]
    centres = np.vstack([W[groups == g].mean(axis=0) for g in range(k)])
    return lambda Xn: np.argmin(((_scores(parts, Xn)[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)


def score(fit, X, transform, r, k, outer, seed=42):
    from joblib import Parallel, delayed
    from sklearn.metrics import adjusted_rand_score

    from segtarget.segments.stability import best_jaccard

    t0 = time.perf_counter()
    ref = fit(X, transform, r, k, seed)(X)

    def one(b):
        warnings.simplefilter("ignore")
        idx = np.random.default_rng(5000 + b).integers(0, len(X), len(X))
        lab = fit(X[idx], transform, r, k, 5000 + b)(X)
        inbag = np.unique(idx)
        return adjusted_rand_score(ref, lab), best_jaccard(ref[inbag], lab[inbag], k)

    res = Parallel(n_jobs=2)(delayed(one)(b) for b in range(outer))
    ari = np.array([a for a, _ in res])
    jac = np.nanmean(np.vstack([j for _, j in res]), axis=0)
    return {"ari": ari.mean(), "ari_sd": ari.std(ddof=1), "jac": jac, "min_share": np.bincount(ref).min() / len(X),
            "seconds": time.perf_counter() - t0}


def main() -> None:
    import pandas as pd

    from segtarget.segments.featureset import REDUCED_FEATURES, feature_matrix

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--outer", type=int, default=6, help="outer resamples per approach")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    where = machine()
    X = feature_matrix(pd.read_parquet(features_file(None)).sort_values("household_id"), REDUCED_FEATURES)
    runs = [("consensus (20 refits, average linkage)", _fit_consensus, "minmax", 5, 7),
            ("consensus (20 refits, average linkage)", _fit_consensus, "log", 3, 5),
            ("NMF random init, best of 3", _fit_restarts, "minmax", 5, 7),
            ("NMF random init, best of 3", _fit_restarts, "log", 3, 5)]
    lines = ["## Track 1: approaches tried and not kept (benchmarks/explore_segments.py)", "",
             f"{args.outer} outer full-pipeline resamples per row (the procedure refit inside each). Machine: {where}.",
             "", "| approach | transform | NMF rank | k | ARI (mean ± sd) | per-segment mean Jaccard | smallest segment "
             "share | wall (s) |", "|---|---|---|---|---|---|---|---|"]
    for label, fit, t, r, k in runs:
        s = score(fit, X, t, r, k, args.outer)
        row = (f"| {label} | {t} | {r} | {k} | {s['ari']:.2f} ± {s['ari_sd']:.2f} | "
               f"{', '.join(f'{j:.2f}' for j in s['jac'])} | {s['min_share']:.1%} | {s['seconds']:.0f} |")
        print(row, flush=True)
        lines.append(row)
    write_section("track1-explore", "\n".join(lines))


if __name__ == "__main__":
    main()
