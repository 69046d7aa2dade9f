"""The whole run at scale: every step's seconds and the run's peak memory, and how each step grows with size.

Each size is one ``segtarget run --no-cache --quiet`` in a child process. Per size the script records the
manifest's per-step seconds, the run's wall time, the peak RSS of the largest single process (``wait4``: the
run or one of its workers) and the peak of the summed RSS of the whole process tree (polled every 0.5 s, so
parallel workers count together). Rows go into ``benchmarks/run_scale.csv``; a size measured again replaces
its own rows and keeps the others, so 1x, 10x and 100x can be measured on different days. The markdown table
(printed, and written to RESULTS.md section ``run-scale``) has one row per step, one seconds column per size
and the growth exponent ``log(t2 / t1) / log(n2 / n1)`` between neighbouring sizes (n = households): 1 is
linear, above 1 grows faster than the data.

    python benchmarks/bench_run_scale.py 1x=completejourney 10x=tables:/work/data/x10
    python benchmarks/bench_run_scale.py --table-only              # rebuild the table from the CSV
    python benchmarks/bench_run_scale.py --subset /work/data/x10 /work/data/x3 3   # first 3 replicates

``--subset SRC DST R`` writes the households of the first ``R`` replicates of a ``segtarget synth`` output
(``synth_plan.parquet``) as a smaller canonical source, in seconds: a 3x source for comparing steps on equal
footing without generating data again. Budgets (issue 19): 10x within 10 minutes and 100x within 60 minutes
on 2 cores, peak memory within 12 GB.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _results import PYTHON, machine, run_measured, write_section  # noqa: E402

CSV = Path(__file__).with_name("run_scale.csv")
BUDGET_SECONDS = {10: 600, 100: 3600}  # issue 19: by size multiple of the embedded data
BUDGET_RSS_MB = 12 * 1024
EMBEDDED_HOUSEHOLDS = 2469


class TreeRss:
    """Peak summed RSS (MB) of this process's descendants, polled in a thread while a child runs."""

    def __init__(self, every: float = 0.5):
        self.every, self.peak_mb = every, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(self.every):
            total = 0
            for p in me.children(recursive=True):
                try:
                    total += p.memory_info().rss
                except psutil.Error:  # a worker that ended between the listing and the read
                    pass
            self.peak_mb = max(self.peak_mb, total / 2**20)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def measure(label: str, source: str, extra: list[str]) -> pd.DataFrame:
    """One run of ``source`` in a child process, measured (see :func:`run_rows`)."""
    out = Path(tempfile.mkdtemp(prefix=f"bench-run-scale-{label}-"))
    env = os.environ | {"PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    cli = "import sys; from segtarget.cli import main; sys.argv[0] = 'segtarget'; main()"  # the console script
    cmd = [PYTHON, "-c", cli, "run", "--data", source, "--out", str(out / "run"), "--no-cache", "--quiet", *extra]
    try:
        load = os.getloadavg()[0]
        with TreeRss() as tree:
            res = run_measured(cmd, env=env)
        return run_rows(label, source, out / "run", wall=res["seconds"], cpu=res["cpu_seconds"],
                        peak_rss_mb=res["peak_rss_mb"], tree_rss_mb=tree.peak_mb, load=load, options=" ".join(extra))
    finally:
        shutil.rmtree(out, ignore_errors=True)


def run_rows(label: str, source: str, run_dir: Path, *, wall: float, cpu: float, peak_rss_mb: float,
             tree_rss_mb: float, load: float, options: str = "") -> pd.DataFrame:
    """One row per step of the run written to ``run_dir`` (manifest seconds and CPU seconds), plus the run's
    wall and CPU rows; every row carries the size and the memory peaks."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    households = int(pd.read_csv(run_dir / "tables" / "data_overview.csv")["households"].iloc[0])
    cohort = run_dir / "tables" / "cohort.csv"  # one row per study unit
    units = len(pd.read_csv(cohort, usecols=[0])) if cohort.is_file() else -1
    steps, step_cpu, step_rss = (manifest.get(k, {}) for k in ("timings_seconds", "cpu_seconds", "peak_rss_mb"))
    rows = [{"step": k, "seconds": float(v), "cpu_seconds": step_cpu.get(k), "rss_after_mb": step_rss.get(k)}
            for k, v in steps.items()]
    rows += [{"step": "run (wall)", "seconds": wall}, {"step": "run (CPU, all processes)", "seconds": cpu}]
    return pd.DataFrame(rows).assign(label=label, source=source, households=households, units=units,
                                     peak_rss_mb=peak_rss_mb, tree_rss_mb=tree_rss_mb, load_at_start=load,
                                     options=options)


def save(new: pd.DataFrame, path: Path = CSV) -> pd.DataFrame:
    """Replace the rows of the sizes in ``new`` in the CSV, keep the other sizes."""
    old = pd.read_csv(path) if path.is_file() else pd.DataFrame(columns=new.columns)
    both = pd.concat([old[~old["label"].isin(new["label"].unique())], new], ignore_index=True)
    both.to_csv(path, index=False)
    return both


def growth(t1: float, t2: float, n1: float, n2: float) -> float:
    """Growth exponent: log(t2 / t1) / log(n2 / n1) (NaN where a time is zero or the sizes are equal)."""
    if min(t1, t2) <= 0 or n1 == n2:
        return math.nan
    return math.log(t2 / t1) / math.log(n2 / n1)


def step_table(df: pd.DataFrame, value: str = "seconds") -> str:
    """Steps x sizes of ``value`` (seconds or cpu_seconds), with growth exponents between neighbouring sizes."""
    sizes = df.groupby("label")["households"].first().sort_values()
    labels = list(sizes.index)
    wide = df.pivot_table(index="step", columns="label", values=value, aggfunc="first", sort=False)
    order = [s for s in dict.fromkeys(df.sort_values("households", kind="stable")["step"]) if s in wide.index]
    unit = "s" if value == "seconds" else "CPU s"
    head = ["step"] + [f"{lb} ({unit})" for lb in labels] + [f"exp {a}→{b}" for a, b in zip(labels, labels[1:])]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for step in order:
        t = [wide.at[step, lb] if lb in wide.columns else math.nan for lb in labels]
        cells = [f"{v:.1f}" if v == v else "–" for v in t]
        exps = [growth(t[i], t[i + 1], sizes.iloc[i], sizes.iloc[i + 1]) for i in range(len(labels) - 1)]
        cells += [f"{e:.2f}" if e == e else "–" for e in exps]
        lines.append(f"| {step} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(df: pd.DataFrame) -> str:
    """Wall seconds per step and size with growth exponents, CPU seconds likewise where recorded, then a
    memory and budget line per size."""
    sizes = df.groupby("label")["households"].first().sort_values()
    labels = list(sizes.index)
    wide = df.pivot_table(index="step", columns="label", values="seconds", aggfunc="first", sort=False)
    lines = [step_table(df)]
    if "cpu_seconds" in df and df["cpu_seconds"].notna().any():
        lines += ["", "CPU seconds of the run's main process per step (its threads included, joblib workers not):",
                  "", step_table(df[df["cpu_seconds"].notna()], "cpu_seconds")]
    meta = df.groupby("label").first().loc[labels]
    lines += ["", "| size | households | study units | wall (s) | peak RSS, one process (MB) | "
                  "peak RSS, process tree (MB) | load at start | budget |", "|---|---|---|---|---|---|---|---|"]
    for lb, m in meta.iterrows():
        wall = float(wide.at["run (wall)", lb])
        mult = round(m["households"] / EMBEDDED_HOUSEHOLDS)
        budget = BUDGET_SECONDS.get(mult)
        ok = "–" if budget is None else ("within" if wall <= budget and m["tree_rss_mb"] <= BUDGET_RSS_MB
                                         else "over") + f" ({budget // 60} min, 12 GB)"
        lines.append(f"| {lb} | {m['households']:,} | {int(m['units']):,} | {wall:.0f} | {m['peak_rss_mb']:,.0f} | "
                     f"{m['tree_rss_mb']:,.0f} | {m['load_at_start']:.1f} | {ok} |")
    return "\n".join(lines)


def subset(src: Path, dst: Path, replicates: int) -> int:
    """Write the households of the first ``replicates`` replicates of the synth output ``src`` to ``dst``."""
    import duckdb

    plan = src / "synth_plan.parquet"
    if not plan.is_file():
        raise SystemExit(f"{plan}: missing; --subset needs a `segtarget synth` output")
    (dst / "transactions").mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(f"CREATE TEMP TABLE keep AS SELECT household_id FROM '{plan}' WHERE replicate < {int(replicates)}")
    per_household = {"transactions": f"{src}/transactions/*.parquet"}
    per_household |= {t: f"{src}/{t}.parquet" for t in ("households", "campaign_members", "redemptions",
                                                          "synth_plan")}
    for name, path in per_household.items():
        if not list(src.glob(path.removeprefix(f"{src}/"))):
            continue
        target = dst / ("transactions/part-00000.parquet" if name == "transactions" else f"{name}.parquet")
        con.execute(f"COPY (SELECT * FROM '{path}' WHERE household_id IN (SELECT household_id FROM keep)) "
                    f"TO '{target}' (FORMAT parquet)")
    for f in src.glob("*.parquet"):  # products, campaigns, coupons, promotions: not per household
        if not (dst / f.name).exists():
            shutil.copy(f, dst / f.name)
    return int(con.execute("SELECT count(*) FROM keep").fetchone()[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", nargs="*", help="LABEL=SOURCE, e.g. 1x=completejourney 10x=tables:/data/x10")
    ap.add_argument("--set", action="append", default=[], help="config override passed to the run (k=v)")
    ap.add_argument("--table-only", action="store_true", help="only rebuild the table from the CSV")
    ap.add_argument("--subset", nargs=3, metavar=("SRC", "DST", "REPLICATES"))
    ap.add_argument("--no-results", action="store_true", help="do not write RESULTS.md")
    ap.add_argument("--note", default="", help="a sentence on the conditions (load, what else ran), for RESULTS.md")
    args = ap.parse_args()
    if args.subset:
        n = subset(Path(args.subset[0]), Path(args.subset[1]), int(args.subset[2]))
        print(f"wrote {n:,} households to {args.subset[1]}")
        return
    extra = [a for kv in args.set for a in ("--set", kv)]
    df = pd.read_csv(CSV) if args.table_only else None
    for spec in args.sizes:
        label, _, source = spec.partition("=")
        print(f"running {label} ({source}) ...", flush=True)
        df = save(measure(label, source, extra))
    if df is None:
        raise SystemExit("give at least one LABEL=SOURCE, or --table-only")
    table = markdown(df)
    body = f"""## The whole run at scale (`benchmarks/bench_run_scale.py`, issue 19)

`segtarget run --no-cache` per size, default configuration, one child process each; seconds per step from the
run's manifest; `exp a→b` = log(t_b / t_a) / log(n_b / n_a) with n = households (1 = linear). On a loaded machine the CPU row (user + system seconds of the run and its workers) is the
steadier measure of growth. Budgets: 10x
within 10 minutes, 100x within 60 minutes on 2 cores, peak memory within 12 GB (the process tree's summed RSS).
Machine: {machine()}. Rows: `benchmarks/run_scale.csv` (column `rss_after_mb`: the main process's peak RSS when
each step ended, from the manifest, so the step that raised the peak shows). {args.note}

{table}

What samples, at which size, and why (each stated in the report where it happens; docs/scale.md section 5):
- CATE zoo, above `cate.sample_threshold` = `cate.sample_size` = 20,000 study units: models fitted, compared and
  refuted on a stratified sample (treatment x outcome quintile), the selected model scores everyone; the CATE
  stage's cost then stays flat instead of growing (it is about linear below). The policy step then has no nested
  out-of-fold CATE and uses the plain out-of-fold one. Said in the CATE warning and the method note.
- K-Means scan silhouette, above 20,000 households: a seeded sample of 20,000 (all pairwise distances: quadratic).
  Said in the segments section's Scale note.
- Segmentation above 50,000 households (`segments.scale_threshold`): MiniBatch K-Means and online NMF (linear
  per pass). Said in the segments section's Scale note.
Nothing else samples: nuisances, DR scores, ATE, refutations, gate, event study and policy values use every unit.
"""
    if not args.no_results:
        write_section("run-scale", body)
    print(body)


if __name__ == "__main__":
    main()
