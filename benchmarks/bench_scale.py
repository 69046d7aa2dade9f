"""Scale benchmark: out-of-core features at 1x, 10x and 100x the embedded data, and Track 1/2 at 1x/10x.

Run as a script (not a test)::

    python benchmarks/bench_scale.py                    # features at 1x, 10x, 100x  -> section "scale"
    python benchmarks/bench_scale.py --tracks           # Track 1 and Track 2 at 1x, 10x -> "scale-tracks"
    python benchmarks/bench_scale.py --scales 1 10      # a subset

Data: ``segtarget synth`` writes each scale once into benchmarks/_data/x<scale>/ (git-ignored); the
generation's wall time and peak RSS are kept in x<scale>.json next to it and reported.
Features: each scale in its own child process, DuckDB with a memory limit, 2 threads and a spill
directory; load = views + validation of the canonical files, features = the 33 core features.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _results import PYTHON, machine, run_json, run_measured, write_section  # noqa: E402

DATA = Path(__file__).parent / "_data"
SOURCE_HOUSEHOLDS = 2469  # households with transactions in the embedded data
TARGET_SECONDS, TARGET_RSS_MB = 600, 8 * 1024


def ensure_data(scale: int) -> dict:
    """Generate x<scale> once (timed in a child process); return its generation record."""
    out, rec = DATA / f"x{scale}", DATA / f"x{scale}.json"
    if out.exists() and rec.exists():
        return json.loads(rec.read_text())
    segtarget = str(Path(PYTHON).with_name("segtarget"))
    res = run_measured([segtarget, "synth", "--households", str(scale * SOURCE_HOUSEHOLDS), "--out", str(out),
                        "--no-compare"])
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    record = {"scale": scale, "seconds": res["seconds"], "peak_rss_mb": res["peak_rss_mb"],
              "disk_mb": size / 2**20, "message": res["stderr"].strip().replace("\n", " ")}
    rec.write_text(json.dumps(record))
    return record


def child_features(path: Path, memory_limit: str, threads: int) -> dict:
    from segtarget.data import connect, load_source
    from segtarget.features import compute_features

    spill = DATA / "spill"
    spill.mkdir(exist_ok=True)
    t0 = time.perf_counter()
    tables = load_source(f"tables:{path}", con=connect(memory_limit, threads, str(spill)))
    t1 = time.perf_counter()
    feats = compute_features(tables, exposure=False)
    t2 = time.perf_counter()
    lines = tables.con.execute("SELECT count(*) FROM clean_transactions").fetchall()[0][0]
    return {"load_seconds": t1 - t0, "feature_seconds": t2 - t1, "lines": lines, "households": len(feats),
            "n_features": feats.shape[1] - 1}


def child_tracks(path: Path) -> dict:
    """Track 1 and Track 2 (one outcome) with the reduced settings listed in the report."""
    from segtarget.causal.cate.pipeline import run_cate
    from segtarget.causal.design.study import build_design
    from segtarget.config import DesignConfig
    from segtarget.data import load_source
    from segtarget.features import compute_features
    from segtarget.io import OutputDir
    from segtarget.pipeline import PRIMARY
    from segtarget.segments.pipeline import run_segments

    import matplotlib

    matplotlib.use("Agg")
    tables = load_source(f"tables:{path}")
    feats = compute_features(tables, exposure=False)
    track1, track2 = _track_configs()
    res: dict = {"households": len(feats)}
    with tempfile.TemporaryDirectory() as tmp:
        od = OutputDir(Path(tmp))
        t0 = time.perf_counter()
        run_segments(feats, track1, random_state=42, out=od, n_jobs=2)
        res["track1_seconds"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        cohort = build_design(tables, DesignConfig())
        res["design_seconds"] = time.perf_counter() - t0
        X = cohort.data[list(cohort.covariates)]
        res["cohort"] = len(cohort.data)
        t0 = time.perf_counter()
        try:
            run_cate(cohort.data[PRIMARY].to_numpy(float), cohort.data["treated"].to_numpy(), X, nuisances=None,
                     cfg=track2, random_state=42, out=od, outcome=PRIMARY, n_jobs=2)
            res["track2_seconds"] = time.perf_counter() - t0
        except Exception as exc:  # record Track 1 even when the CATE stage fails; the table says why
            res["track2_error"] = f"{type(exc).__name__}: {exc}"[:200]
    return res


def _track_configs():
    from segtarget.causal.cate.config import CateConfig
    from segtarget.segments.config import SegmentConfig

    t1 = SegmentConfig(nmf_k=5, kmeans_k=7, n_bootstrap=5, bootstrap_kmeans_only=False, figures=False)
    t2 = CateConfig(models=("t", "dr", "linear_dml"), n_boot=50, n_placebo=3, n_random_cause=2, n_subset=2,
                    n_dummy=2)
    return t1, t2


def features_section(gen: dict, runs: dict, memory_limit: str, threads: int) -> str:
    rows = []
    base = runs[min(runs)]
    for scale, r in sorted(runs.items()):
        total = r["load_seconds"] + r["feature_seconds"]
        rows.append(f"| {scale}x | {r['lines']:,} | {r['households']:,} | {r['load_seconds']:.1f} | "
                    f"{r['feature_seconds']:.1f} | {r['lines'] / r['feature_seconds'] / 1e6:.2f} | "
                    f"{r['feature_seconds'] / base['feature_seconds'] / (r['lines'] / base['lines']):.2f} | "
                    f"{r['peak_rss_mb']:,.0f} | {r['wall_seconds']:.1f} |")
    g_rows = [f"| {s}x | {g['seconds']:.1f} | {g['peak_rss_mb']:,.0f} | {g['disk_mb']:,.0f} |"
              for s, g in sorted(gen.items())]
    big = runs[max(runs)]
    ok = lambda c: "met" if c else "**not met**"
    return f"""## Scale: out-of-core features (benchmarks/bench_scale.py)

Data from `segtarget synth` (replicate 0 = the embedded data; further households resampled from it). Each scale
in its own process: DuckDB `memory_limit={memory_limit}`, `threads={threads}`, spill directory on local
disk; `tables:` loader with full validation, then the 33 core features (no exposure features). Machine:
{machine()}.

| scale | lines | households | load + validate (s) | features (s) | M lines/s | time per line vs 1x | peak RSS (MB) | process wall (s) |
|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

- Largest scale: {big['wall_seconds']:.0f} s for the whole process (target <= {TARGET_SECONDS} s: {ok(big['wall_seconds'] <= TARGET_SECONDS)}),
  peak RSS {big['peak_rss_mb']:,.0f} MB (target <= {TARGET_RSS_MB:,} MB: {ok(big['peak_rss_mb'] <= TARGET_RSS_MB)}).
- "time per line vs 1x" is (seconds per line at that scale) / (seconds per line at 1x): 1.0 = linear growth.
- The feature SQL's hot spot at 100x is the household x product grouping behind `n_products` (86M groups);
  see docs/scale.md for the EXPLAIN ANALYZE breakdown.

Generating the data (`segtarget synth`, parquet zstd, one part per 25,000 households):

| scale | wall (s) | peak RSS (MB) | disk (MB) |
|---|---|---|---|
{chr(10).join(g_rows)}"""


def tracks_section(runs: dict) -> str:
    t1, t2 = _track_configs()
    t2_cell = lambda r: f"{r['track2_seconds']:.1f}" if "track2_seconds" in r else f"failed: {r['track2_error']}"
    rows = [f"| {s}x | {r['households']:,} | {r['track1_seconds']:.1f} | {r['cohort']:,} | "
            f"{r['design_seconds']:.1f} | {t2_cell(r)} | {r['peak_rss_mb']:,.0f} |"
            for s, r in sorted(runs.items())]
    return f"""## Scale: Track 1 and Track 2 (benchmarks/bench_scale.py --tracks)

`segments.pipeline.run_segments` and `causal.cate_pipeline.run_cate` (outcome purchase_amount) on synthetic
data, 2 jobs. Reduced settings so 10x finishes on a shared 2-core machine: Track 1 with fixed ranks
(NMF k={t1.nmf_k}, K-Means k={t1.kmeans_k}), {t1.n_bootstrap} full-pipeline bootstraps, no figures; Track 2 with models
{', '.join(t2.models)}, {t2.n_boot} RATE bootstraps and {t2.n_placebo + t2.n_random_cause + t2.n_subset + t2.n_dummy} refutation refits.
Both scales are below the scale threshold (50,000 households), so neither switched to MiniBatch
estimators or CATE sampling. Machine: {machine()}.

| scale | households | Track 1 (s) | cohort | design (s) | Track 2 (s) | peak RSS (MB) |
|---|---|---|---|---|---|---|
{chr(10).join(rows)}"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", type=int, nargs="+", default=None)
    ap.add_argument("--tracks", action="store_true")
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--child", choices=["features", "tracks"])
    ap.add_argument("--path", type=Path)
    args = ap.parse_args()
    if args.child == "features":
        print(json.dumps(child_features(args.path, args.memory_limit, args.threads)))
        return
    if args.child == "tracks":
        print(json.dumps(child_tracks(args.path)))
        return
    scales = args.scales or ([1, 10] if args.tracks else [1, 10, 100])
    me = [PYTHON, str(Path(__file__).resolve())]
    gen = {s: ensure_data(s) for s in scales}
    runs = {}
    for s in scales:
        kind = "tracks" if args.tracks else "features"
        cmd = me + ["--child", kind, "--path", str(DATA / f"x{s}"), "--memory-limit", args.memory_limit,
                    "--threads", str(args.threads)]
        runs[s] = run_json(cmd, env=os.environ | {"OMP_NUM_THREADS": "2"})
        print(f"{kind} {s}x: {runs[s]}", flush=True)
    body = tracks_section(runs) if args.tracks else features_section(gen, runs, args.memory_limit, args.threads)
    write_section("scale-tracks" if args.tracks else "scale", body)
    print(body)


if __name__ == "__main__":
    main()
