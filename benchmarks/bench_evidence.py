"""Evidence that can fail: the design gate, the bracket and the verdict on adversarial planted campaigns.

Every regime keeps the embedded transactions, relabels the real Type A campaigns as Type C (so their real effect
is visible exposure, not part of the planted null) and plants Type A campaigns whose members are picked by a rule
the covariates do not fully capture (``segtarget.causal.validation.planted``):

* trait-null: a persistent household trait (every line scaled by exp(0.35 u)), members picked on it; no effect
* spike-null: members picked on look-back spend and a recent spike (observed); no effect
* both-null: both rules; no effect
* trait-small: the persistent trait, a realistic 3% uniform lift
* observed-large: the observed rule, a 30% uniform lift
* cotarget-null: the observed rule, no effect of the mailer, a co-targeted Type B campaign with a 10% lift of its own

Recorded per run: the gate's status and pattern, whether the reported interval (look-back CI when the gate passes,
else the bracket) covers the true ATT, the verdict, whether it is a confident contact that truly earns <= 0.
Run: .venv/bin/python benchmarks/bench_evidence.py SEED [SEED ...] [--out=FILE.csv] [--regimes=a,b] [--data=SOURCE]
(``--data=tables:DIR`` plants into a ``segtarget synth`` source, e.g. 10x households).
"""

from __future__ import annotations

import sys
import tempfile
import time

import pandas as pd

from segtarget.causal.validation.planted import PlantSpec, plant_campaigns
from segtarget.data import load_source
from segtarget.policy.config import PolicyConfig
from regimes import run_regime  # benchmarks/regimes.py (this directory)

TRAIT = dict(trait_sd=0.35, trait_selection=1.0, selection=0.0, spike_selection=0.0)
SPIKE = dict(selection=0.5, spike_selection=1.0)
REGIMES = {
    "trait-null": dict(effect="none", **TRAIT),
    "spike-null": dict(effect="none", **SPIKE),
    "both-null": dict(effect="none", trait_sd=0.35, trait_selection=1.0, **SPIKE),
    "trait-small": dict(effect="uniform", lift=0.03, **TRAIT),
    "observed-large": dict(effect="uniform", lift=0.30, selection=1.0, spike_selection=0.75),
    # a planted Type B campaign on 35% of the members (7% of the rest) adds 10% to their sales: the mailer alone
    # does nothing, the bundle does something; the truth scored is the mailer's own (0)
    "cotarget-null": dict(effect="none", selection=1.0, spike_selection=0.75, cotarget_share=0.35,
                          cotarget_lift=0.10),
}


def one(regime: str, seed: int, cost: float = 10.0, data: str = "completejourney") -> pd.DataFrame:
    t0 = time.perf_counter()
    spec = PlantSpec(seed=seed, discount_rate=0.02, real_typea="relabel", **REGIMES[regime])
    planted = plant_campaigns(load_source(data, validate=False), spec)
    with tempfile.TemporaryDirectory() as out:
        res = run_regime(planted, cfg=PolicyConfig(cost=cost, trees=False), out=out, seed=seed, repeats=1)
    return res.summary_frame().assign(regime=regime, seed=seed, data=data,
                                      seconds=round(time.perf_counter() - t0, 1))


if __name__ == "__main__":
    args = sys.argv[1:]
    out = next((a.split("=", 1)[1] for a in args if a.startswith("--out=")), "evidence_runs.csv")
    names = next((a.split("=", 1)[1].split(",") for a in args if a.startswith("--regimes=")), list(REGIMES))
    data = next((a.split("=", 1)[1] for a in args if a.startswith("--data=")), "completejourney")
    seeds = [int(a) for a in args if not a.startswith("--")] or [0]
    rows = []
    for seed in seeds:
        for regime in names:
            rows.append(one(regime, seed, data=data))
            df = pd.concat(rows, ignore_index=True)
            df.to_csv(out, index=False)
            r = df.iloc[-1]
            print(f"{regime} seed {seed}: gate {r.gate_status}, verdict {r.verdict}, ATT truth {r.att_truth:.2f} "
                  f"in [{r.interval_lower:.2f}, {r.interval_upper:.2f}]: {r.interval_covered}, confident wrong "
                  f"{r.confident_wrong}, {r.seconds} s", flush=True)
    cols = ["interval_covered", "confident_wrong", "verdict_ok"]
    df["flagged"] = df["gate_status"] != "passed"
    print(df.groupby("regime")[cols + ["flagged"]].agg(["mean", "count"]).to_string())
