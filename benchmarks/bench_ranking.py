"""The ranking test's false-positive rate and power on planted campaigns (issue 18, item 5).

Each seed plants campaigns in the embedded data (``segtarget.causal.validation.planted``), builds the one run's
study design with cross-fitted nuisances and averaged AIPW scores (``benchmarks/regimes.planted_cohort``, as the
planted decision benchmark does) and runs the ranking test (``causal/cate/ranking.py``): the S-learner, fixed
in advance, refit on S household halves, AUTOC on the other halves' units with a propensity in [0.1, 0.9],
household bootstrap, p = min(1, 2 x median of the S one-sided p-values). "reject" = p < 0.05.

Regimes: ``none`` (no effect: every rejection is a false positive), ``uniform`` (a uniform *percentage* lift:
the dollar effect still grows with the household's spend, so it is not a no-heterogeneity regime in the
outcome's units; the true effect's spread is reported beside it) and ``heterogeneous`` (lift 0.8: power).
For contrast the table also counts how often the first split alone (the previous test's design) rejects.

Run: .venv/bin/python benchmarks/bench_ranking.py none:0-9 uniform:0-9 heterogeneous:0-2 [--splits=10]
(each regime:seeds item; rows are appended to benchmarks/_data/ranking_rows.csv so a long run can be resumed,
then the table in RESULTS.md ("Ranking test") is rewritten from every stored row).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _results import machine, write_section  # noqa: E402

from segtarget.causal.validation.planted import PlantSpec, plant_campaigns, true_effects  # noqa: E402
from segtarget.data import load_source  # noqa: E402
from regimes import planted_cohort, planted_ranking_test  # noqa: E402

ROWS = Path(__file__).parent / "_data" / "ranking_rows.csv"
LIFT = {"none": 0.30, "uniform": 0.30, "heterogeneous": 0.80}
OVERLAP = (0.1, 0.9)


def one(effect: str, seed: int, splits: int) -> dict:
    t0 = time.perf_counter()
    planted = plant_campaigns(load_source("completejourney", validate=False),
                              PlantSpec(effect=effect, seed=seed, lift=LIFT[effect], discount_rate=0.02))
    pc = planted_cohort(planted.tables, seed=seed)
    rt = planted_ranking_test(pc, seed=seed, overlap=OVERLAP, n_splits=splits)
    valued = (pc.nuis.e_raw >= OVERLAP[0]) & (pc.nuis.e_raw <= OVERLAP[1])
    tau = true_effects(planted, pc.cohort.data[["household_id", "index_campaign"]])["tau_sales"].to_numpy()[valued]
    p = rt.splits["p_value"].to_numpy()
    return {"effect": effect, "lift": LIFT[effect], "seed": seed, "splits": rt.n_splits,
            "n_valued": int(valued.sum()), "true_tau_sd": float(np.std(tau)), "autoc": rt.estimate,
            "ci_lower": rt.lower, "ci_upper": rt.upper, "p_adj": rt.p_value, "p_first_split": float(p[0]),
            "share_splits_p05": float(np.mean(p < 0.05)), "seconds": round(time.perf_counter() - t0, 1)}


def render(df: pd.DataFrame, where: str) -> str:
    g = df.groupby(["effect", "lift"]).agg(
        seeds=("seed", "nunique"), reject=("p_adj", lambda p: float(np.mean(p < 0.05))),
        reject_first_split=("p_first_split", lambda p: float(np.mean(p < 0.05))),
        median_p=("p_adj", "median"), median_autoc=("autoc", "median"), true_tau_sd=("true_tau_sd", "median"),
        seconds=("seconds", "median")).reset_index()
    lines = ["## Ranking test (benchmarks/bench_ranking.py)", "",
             "Issue 18 item 5. The ranking test of `causal/cate/ranking.py` on planted campaigns (embedded data): "
             "the S-learner (fixed in advance) refit on S household halves (stratified by ever-treated), AUTOC "
             "of the other half's units with a propensity in [0.1, 0.9], household bootstrap, one-sided "
             "p = min(1, 2 × median of the S split p-values); reject at p < 0.05. `none` has no effect: its "
             "rejection rate is the false-positive rate. `uniform` is a uniform *percentage* lift, so the dollar "
             "effect grows with spend (true effect sd in the table): a rejection there is not a false positive. "
             "`reject (1st split)` is the first split alone, the previous test's design (on the valued units).",
             "", f"Machine: {where}.", "",
             "| regime | lift | seeds | reject (2×median p) | reject (1st split) | median p | median AUTOC | "
             "true effect sd ($) | s/seed |", "|---|---|---|---|---|---|---|---|---|"]
    for _, r in g.iterrows():
        lines.append(f"| {r['effect']} | {r['lift']:.1f} | {r['seeds']} | {r['reject']:.0%} | "
                     f"{r['reject_first_split']:.0%} | {r['median_p']:.3f} | {r['median_autoc']:.3g} | "
                     f"{r['true_tau_sd']:.3g} | {r['seconds']:.0f} |")
    null = df[df["effect"] == "none"]
    if len(null):
        lines += ["", f"False-positive rate (`none`, {null['seed'].nunique()} seeds): "
                  f"{np.mean(null['p_adj'] < 0.05):.0%} with 2 × median p; single splits reject in "
                  f"{null['share_splits_p05'].mean():.0%} of all {int(null['splits'].sum())} splits (above the nominal "
                  "5%: one split is anti-conservative here, the median combination absorbs it)."]
    lines += ["", "Per seed:", "", "| regime | seed | p (2×median) | p (1st split) | splits p<0.05 | AUTOC [95% CI] |",
              "|---|---|---|---|---|---|"]
    for _, r in df.sort_values(["effect", "seed"]).iterrows():
        lines.append(f"| {r['effect']} | {r['seed']} | {r['p_adj']:.3f} | {r['p_first_split']:.3f} | "
                     f"{r['share_splits_p05']:.0%} | {r['autoc']:.3g} [{r['ci_lower']:.3g}, {r['ci_upper']:.3g}] |")
    return "\n".join(lines)


def _items(args: list[str]) -> list[tuple[str, int]]:
    out = []
    for a in args:
        effect, seeds = a.split(":")
        lo, _, hi = seeds.partition("-")
        out += [(effect, s) for s in range(int(lo), int(hi or lo) + 1)]
    return out


if __name__ == "__main__":
    splits = int(next((a.split("=")[1] for a in sys.argv[1:] if a.startswith("--splits=")), 10))
    items = _items([a for a in sys.argv[1:] if not a.startswith("--")] or ["none:0-9"])
    ROWS.parent.mkdir(exist_ok=True)
    done = pd.read_csv(ROWS) if ROWS.exists() else pd.DataFrame(columns=["effect", "seed", "splits"])
    for effect, seed in items:
        if ((done["effect"] == effect) & (done["seed"] == seed) & (done["splits"] == splits)).any():
            continue
        row = pd.DataFrame([one(effect, seed, splits)])
        print(row.to_string(index=False), flush=True)
        done = pd.concat([done, row], ignore_index=True) if len(done) else row
        done.to_csv(ROWS, index=False)
    write_section("ranking", render(done[done["splits"] == splits], machine()))
