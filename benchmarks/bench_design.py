"""Design benchmark: the campaign-trials design on the embedded data, and its coverage on planted campaigns.

    python benchmarks/bench_design.py real      # per trial and pooled numbers (RESULTS.md "Design")
    python benchmarks/bench_design.py planted   # headline CI coverage over planted seeds (none / uniform)

``real``: build_design + run_ate (the pipeline's ATE step, household-clustered) on the pooled cohort; per
trial the same propensity restricted to the trial (AUC, share in [0.05, 0.95]) and the headline method
re-fitted on the trial alone (one household-grouped split); then the design refutations. ``planted``: for each
seed and effect, plant Type A campaigns (causal.planted), rebuild the design, estimate the headline
estimand with one split and compare with the true value of the same estimand (design_refute.headline_truth).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

OUTCOMES = ["purchase_amount", "purchase_count"]


def real(seed: int = 42) -> dict:
    from sklearn.metrics import roc_auc_score

    from segtarget.causal.ate_pipeline import run_ate
    from segtarget.causal.config import AteConfig, DesignConfig
    from segtarget.causal.design import build_design
    from segtarget.causal.design_refute import headline_effect, refute_design
    from segtarget.data import load_source
    from segtarget.io import OutputDir

    tables = load_source("completejourney")
    t0 = time.perf_counter()
    cohort = build_design(tables, DesignConfig())
    t_design = time.perf_counter() - t0
    d = cohort.data
    t0 = time.perf_counter()
    res, _ = run_ate(d, treatment="treated", outcomes=OUTCOMES, covariates=list(cohort.covariates), cfg=AteConfig(),
                     seed=seed, out=OutputDir(Path("/tmp/bench_design_out")), groups=d.household_id.to_numpy(),
                     strata=d.index_campaign.to_numpy())
    t_ate = time.perf_counter() - t0
    e = res.nuisances[OUTCOMES[0]].e_raw
    method = res.headline[OUTCOMES[0]]["method"]
    rows = []
    counts = cohort.counts.set_index("index_campaign")
    for cid in cohort.windows.index_campaign:
        m = (d.index_campaign == cid).to_numpy()
        sub = dataclasses.replace(cohort, data=d[m].reset_index(drop=True))
        row = {"trial": str(cid), "treated": int(d.treated[m].sum()), "controls": int((d.treated[m] == 0).sum()),
               "truncated_controls": int(counts.loc[cid, "n_truncated_control"]),
               "auc": roc_auc_score(d.treated[m], e[m]), "share_05_95": float(((e[m] >= .05) & (e[m] <= .95)).mean()),
               "method": method}
        for o in OUTCOMES:
            est = headline_effect(sub, method, AteConfig(), seed, outcome=o)
            row[o] = (est.estimate, est.ci_lower, est.ci_upper)
        rows.append(row)
    pos = res.positivity
    pooled = {"trial": "pooled", "treated": int(d.treated.sum()), "controls": int((d.treated == 0).sum()),
              "truncated_controls": int(counts["n_truncated_control"].sum()), "auc": pos["ps_auc"],
              "share_05_95": pos["share_in_05_95"], "method": method}
    for o in OUTCOMES:
        h = res.headline[o]
        pooled[o] = (float(h["estimate"]), float(h["ci_lower"]), float(h["ci_upper"]))
    rows.append(pooled)
    t0 = time.perf_counter()
    ref = refute_design(tables, DesignConfig(), method, AteConfig(), seed).table
    t_ref = time.perf_counter() - t0
    return {"rows": rows, "refutations": ref.to_dict("records"), "reason": res.headline[OUTCOMES[0]]["reason"],
            "ate_table": res.ate.to_dict("records"), "timings": {"design": t_design, "ate": t_ate,
                                                                 "refutations": t_ref},
            "ess_att_control": pos["ess_att_control"], "treated_share_above": pos["treated_share_above_band"]}


def planted(seeds=(0, 1, 2, 3, 4), effects=("none", "uniform")) -> list[dict]:
    from segtarget.causal.config import AteConfig, DesignConfig
    from segtarget.causal.design import build_design
    from segtarget.causal.design_refute import headline_effect, headline_truth
    from segtarget.causal.planted import PlantSpec, plant_campaigns, true_effects
    from segtarget.data import load_source

    out = []
    for seed in seeds:
        for effect in effects:
            p = plant_campaigns(load_source("completejourney", validate=False), PlantSpec(effect=effect, seed=seed))
            cohort = build_design(p.tables, DesignConfig())
            est = headline_effect(cohort, "att", AteConfig(), seed=seed)
            tau = true_effects(p, cohort.data)["tau_sales"].to_numpy()
            truth = headline_truth("att", tau, cohort.data["treated"].to_numpy())
            out.append({"seed": seed, "effect": effect, "truth": truth, "estimate": est.estimate,
                        "ci_lower": est.ci_lower, "ci_upper": est.ci_upper,
                        "covers": bool(est.ci_lower <= truth <= est.ci_upper), "n": est.n})
            print(out[-1], flush=True)
    return out


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "real"
    result = real() if mode == "real" else planted()
    Path(f"/tmp/bench_design_{mode}.json").write_text(json.dumps(result, indent=1, default=str))
    print(json.dumps(result, indent=1, default=str)[:6000])
