"""The event study before and after the treated reweighting of its strata, and the design-difference test, on the
embedded data (default design `campaign-trials`, default ATE settings, purchase_amount only).

"before" = the former pooled ATT (one ``treated x post`` per trial with trial x stratum x week effects: strata
weighted by regression variance); "after" = the current one (one DiD per trial x stratum, weighted by treated
units). The difference row is the triangulation's test: doubly-robust headline minus event-study ATT on the
window-total scale, household bootstrap (causal/event/difference.py).

    PYTHONPATH=src python benchmarks/event_study_difference.py [--strata 10 1]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import pandas as pd

from event_study_planted import variance_weighted_att
from segtarget.causal.ate.pipeline import compute_ate
from segtarget.causal.design.study import build_design
from segtarget.causal.event.panel import build_panel, design_units
from segtarget.causal.event.pipeline import compute_event_study
from segtarget.config import Config
from segtarget.data import load_source
from segtarget.steps import headline_influence_of


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--strata", type=int, nargs="+", default=[10, 1])
    a = ap.parse_args()
    cfg = Config()
    seed = cfg.run.seed
    t0 = time.perf_counter()
    tables = load_source(cfg.data.source)
    cohort = build_design(tables, cfg.design)
    ate = compute_ate(cohort.data, treatment="treated", outcomes=["purchase_amount"],
                      covariates=list(cohort.covariates), cfg=cfg.ate, random_state=seed, label="campaign cohort",
                      groups=cohort.data["household_id"].to_numpy(), strata=cohort.data["index_campaign"].to_numpy())
    print(f"design + ATE: {time.perf_counter() - t0:.0f} s; headline {ate.headline['purchase_amount']}")
    units = design_units(cohort.data, cohort.windows)
    infl = headline_influence_of(cohort, ate, cfg)
    panel = build_panel(tables.con, units, cfg.event_study.pre_weeks)
    rows = []
    for k in a.strata:
        t1 = time.perf_counter()
        run = compute_event_study(tables, units, replace(cfg.event_study, level_strata=k), ate_table=ate.ate,
                                  ate_headline=ate.headline, dr_influence=infl, seed=seed,
                                  outcome_scale=getattr(cohort, "outcome_scale", "window total"))
        before, before_se = variance_weighted_att(panel, k)
        o, d = run.result.overall, run.difference
        rows.append({"level_strata": k,
                     "before (variance-weighted) $/wk": f"{before:+.2f} ± {1.96 * before_se:.2f}",
                     "after (treated-weighted) $/wk": f"{o['estimate']:+.2f} ({o['ci_lower']:+.2f}, {o['ci_upper']:+.2f})",
                     "pretrend p": round(run.result.pretrend["p_value"], 3),
                     "DR - ES (window $)": f"{d.estimate:+.1f} ({d.ci_lower:+.1f}, {d.ci_upper:+.1f})",
                     "p": round(d.p_value, 3), "detectable $": round(d.detectable, 1),
                     "skipped": "; ".join(run.result.skipped), "seconds": round(time.perf_counter() - t1, 1)})
        print(run.sentence)
        print(run.triangulation.to_markdown(index=False))
    print(pd.DataFrame(rows).to_markdown(index=False))


if __name__ == "__main__":
    main()
