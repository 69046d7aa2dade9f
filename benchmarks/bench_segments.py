"""Track 1 benchmark: the whole segmentation (scans, fit, 100 full-pipeline bootstraps, profiles, figures).

Run as a script (not a test): ``python benchmarks/bench_segments.py``. It writes the "track1" section of
benchmarks/RESULTS.md.

Input: the package's own household features on the embedded Complete Journey data (2,469 households),
computed once and cached in benchmarks/_data/; ``--features FILE`` uses another table (e.g. the
reference's features, after renaming household_key to household_id). Each configuration runs in its own
child process (start-up, worker spawn and figure drawing included in the wall time); the time of
``run_segments`` itself is measured inside the child. Target: <= 60 s for the default configuration with
100 bootstraps on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _results import PYTHON, machine, run_json, write_section  # noqa: E402

DATA = Path(__file__).parent / "_data" / "track1_features.parquet"
TARGET_SECONDS = 60.0
CONFIGS = {
    "default (automatic k's)": {},
    "reference (nmf_k=5, kmeans_k=7)": {"nmf_k": 5, "kmeans_k": 7},
}
REFERENCE = {"recon": 13.18, "ev": 0.9244, "dbi": 1.241, "ari": 0.767}


def features_file(path: str | None) -> Path:
    if path:
        return Path(path)
    if not DATA.is_file():
        from segtarget.data import load_source
        from segtarget.features import compute_features

        DATA.parent.mkdir(parents=True, exist_ok=True)
        compute_features(load_source("completejourney"), exposure=False).to_parquet(DATA)
    return DATA


def child(features: str, overrides: str, n_jobs: int) -> None:
    """Run Track 1 once and print one JSON line."""
    import os

    import pandas as pd

    from segtarget.io import OutputDir
    from segtarget.segments.config import SegmentConfig
    from segtarget.segments.pipeline import run_segments

    df = pd.read_parquet(features)
    cfg = SegmentConfig(**json.loads(overrides))
    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), os.times()
        res, _ = run_segments(df, cfg, seed=42, out=OutputDir(Path(tmp)), n_jobs=n_jobs)
        seconds = time.perf_counter() - t0
    # Shut the worker pool down so the workers are reaped and their CPU time shows up in os.times().
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)
    c1 = os.times()
    h = res.headline
    nmf = res.nmf_scan.set_index("k").loc[h["nmf_k"]]
    km = res.kmeans_scan.set_index("k").loc[h["kmeans_k"]]
    cpu = (c1.user + c1.system + c1.children_user + c1.children_system) - (c0.user + c0.system + c0.children_user
                                                                          + c0.children_system)
    print(json.dumps({
        "seconds": seconds, "cpu_seconds": cpu, "load": os.getloadavg()[0], "n": len(df), "nmf_k": h["nmf_k"], "kmeans_k": h["kmeans_k"],
        "recon": float(nmf["reconstruction_error"]), "ev": float(nmf["explained_variance_flat"]),
        "r2": float(nmf["r2_heldout"]), "dbi": float(km["davies_bouldin"]), "sil": float(km["silhouette"]),
        "ari": h.get("ari_mean"), "ari_sd": h.get("ari_sd"), "ari_km": h.get("ari_kmeans_only_mean"),
        "ari_km_sd": float(res.stability.kmeans_only_ari.std(ddof=1)), "segments": h["segments"],
        "unstable": h.get("unstable_segments", []), "n_bootstrap": h.get("n_bootstrap", 0),
    }))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", help="household feature table (.parquet) instead of the embedded data")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--overrides", default="{}", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.overrides, args.n_jobs)
        return
    where = machine()
    path = features_file(args.features)
    rows = {}
    for label, overrides in CONFIGS.items():
        rows[label] = run_json([PYTHON, __file__, "--child", str(path), "--overrides", json.dumps(overrides),
                                "--n-jobs", str(args.n_jobs)])
        print(label, json.dumps(rows[label]))
    write_section("track1", render(rows, where, path, args.n_jobs))


def render(rows: dict, where: str, path: Path, n_jobs: int) -> str:
    first = next(iter(rows.values()))
    lines = [
        "## Track 1: customer segments (benchmarks/bench_segments.py)", "",
        f"`run_segments` on {first['n']:,} households ({path.name}), seed 42, {first['n_bootstrap']} full-pipeline "
        f"bootstraps + {first['n_bootstrap']} K-Means-only bootstraps, all figures and tables, n_jobs={n_jobs}. "
        f"Machine: {where}.", "",
        "| configuration | run_segments wall (s) | CPU, all processes (s) | load avg after | process wall (s) | "
        "peak RSS (MB) | NMF k | K-Means k | ≤ 60 s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, r in rows.items():
        ok = "met" if r["seconds"] <= TARGET_SECONDS else "**not met**"
        lines.append(f"| {label} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | {r['load']:.1f} | "
                     f"{r['wall_seconds']:.1f} | {r['peak_rss_mb']:.0f} | {r['nmf_k']} | {r['kmeans_k']} | {ok} |")
    lines += ["", "CPU time counts the parent and every worker (start-up included) and does not depend on how busy "
              "the shared machine is; on two idle cores the wall time is roughly CPU / 2 plus the serial parts.",
              "", "Numbers next to the reference (reference_spec.md §2.3–2.5; its data had 2,500 households and two years):",
              "", "| configuration | NMF recon. err | flattened EV | held-out R² | DBI | silhouette | ARI full pipeline | "
              "ARI K-Means only |", "|---|---|---|---|---|---|---|---|",
              f"| reference project | {REFERENCE['recon']} | {REFERENCE['ev']} | – | {REFERENCE['dbi']} | 0.219 | – | "
              f"{REFERENCE['ari']} ± 0.113 |"]
    for label, r in rows.items():
        lines.append(f"| {label} | {r['recon']:.2f} | {r['ev']:.4f} | {r['r2']:.3f} | {r['dbi']:.3f} | {r['sil']:.3f} | "
                     f"{r['ari']:.3f} ± {r['ari_sd']:.3f} | {r['ari_km']:.3f} ± {r['ari_km_sd']:.3f} |")
    lines.append("")
    for label, r in rows.items():
        segs = ", ".join(f"{n} {s:.0%}" for n, s in r["segments"])
        unstable = ", ".join(r["unstable"]) or "none"
        lines.append(f"- {label}: {segs}. Unstable (mean Jaccard < 0.6): {unstable}.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
