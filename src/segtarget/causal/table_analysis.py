"""CATE and policy outputs of ``segtarget causal`` on any unit-level table.

After the ATE stage (``ate_pipeline.analyze_table``) this fits the CATE model zoo for every outcome on the
same cross-fitted nuisances, writes ``cate.csv`` / ``cate_models.csv`` / ``refutation.csv``, and, when a
cost per contact is given, values the targeting policies for the first outcome (``policy.csv``).
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from ..io import OutputDir
from ..report.section import Section


def cate_and_policy(df: pd.DataFrame, ate_res, *, treatment: str, outcomes: list[str], id_col: str | None,
                    cfg, seed: int, out: OutputDir, cost: float | None = None,
                    margin: float | None = None) -> tuple[list[Section], list[str], object | None]:
    """Run CATE (every outcome) and, with a cost, the policy stage; return sections, warnings, policy."""
    from ..policy.pipeline import PolicyInputs, run_policy
    from ..policy.profit import EffectScores
    from .cate.pipeline import run_cate, write_cate_outputs

    ids = df[id_col].to_numpy() if id_col else range(len(df))
    T = df[treatment].to_numpy(int)
    X = df[list(ate_res.covariates)].astype(float).reset_index(drop=True)
    sections, warnings, results = [], [], {}
    for o in outcomes:
        res, secs = run_cate(df[o].to_numpy(float), T, X, nuisances=ate_res.nuisances[o], cfg=cfg.cate, seed=seed,
                             out=out, outcome=o)
        results[o] = res
        sections += secs
        warnings += res.warnings
    write_cate_outputs(results, out.root, ids=None if id_col is None else ids)
    pol = None
    if cost is not None:
        first = results[outcomes[0]]
        oof = first.oof
        pcfg = dataclasses.replace(cfg.policy, cost=float(cost),
                                   **({"margin": float(margin)} if margin is not None else {}))
        inputs = PolicyInputs(household_id=pd.Series(ids).to_numpy(), Y=df[outcomes[0]].to_numpy(float), T=T, X=X,
                              cate=oof["cate"].to_numpy(), cate_lower=oof["cate_lower"].to_numpy(),
                              cate_upper=oof["cate_upper"].to_numpy(),
                              scores=EffectScores({"sales": first.dr_scores}, 1), folds=first.nuisances.folds,
                              propensity=first.nuisances.e_raw, rate_estimate=first.split_rate.autoc.estimate,
                              rate_se=first.split_rate.autoc.se)
        pol, secs = run_policy(inputs, pcfg, seed=seed, out=out, outcome=outcomes[0])
        sections += secs
        warnings += pol.warnings
    return sections, warnings, pol
