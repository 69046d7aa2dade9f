"""CATE and policy outputs of ``segtarget causal`` on any unit-level table.

After the ATE stage (``ate_pipeline.analyze_table``) this fits the CATE model zoo for every outcome on the
same cross-fitted nuisances, writes ``cate.csv`` / ``cate_models.csv`` / ``refutation.csv``, and, when a
cost per contact is given, values the targeting policies for the first outcome (``policy.csv``).
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from ..io import OutputDir, atomic_write_table
from ..report.section import Section


def _cate_frame(res, outcome: str, ids) -> pd.DataFrame:
    oof = res.oof.reset_index(drop=True)
    models = [c for c in oof.columns if c.startswith("cate_") and c not in ("cate_lower", "cate_upper")]
    head = pd.DataFrame({"outcome": outcome, "id": ids})
    sampled = ["in_sample"] if "in_sample" in oof.columns else []  # above cate.sample_threshold (cate_scale)
    return pd.concat([head, oof[["cate", "cate_lower", "cate_upper", "model"] + models + sampled]], axis=1)


def cate_and_policy(df: pd.DataFrame, ate_res, *, treatment: str, outcomes: list[str], id_col: str | None,
                    cfg, seed: int, out: OutputDir, cost: float | None = None,
                    margin: float | None = None) -> tuple[list[Section], list[str], object | None]:
    """Run CATE (every outcome) and, with a cost, the policy stage; return sections, warnings, policy."""
    from ..policy.pipeline import PolicyInputs, run_policy
    from .cate_pipeline import run_cate

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
    root = out.root
    atomic_write_table(pd.concat([_cate_frame(results[o], o, ids) for o in outcomes], ignore_index=True),
                       root / "cate.csv")
    for name, attr in (("cate_models", "evaluation"), ("refutation", "refutation")):
        frame = pd.concat([getattr(results[o], attr).assign(outcome=o) for o in outcomes], ignore_index=True)
        atomic_write_table(frame[["outcome"] + [c for c in frame.columns if c != "outcome"]], root / f"{name}.csv")
    pol = None
    if cost is not None:
        first = results[outcomes[0]]
        oof = first.oof
        pcfg = dataclasses.replace(cfg.policy, cost=float(cost),
                                   **({"margin": float(margin)} if margin is not None else {}))
        inputs = PolicyInputs(household_id=pd.Series(ids).to_numpy(), Y=df[outcomes[0]].to_numpy(float), T=T, X=X,
                              cate=oof["cate"].to_numpy(), cate_lower=oof["cate_lower"].to_numpy(),
                              cate_upper=oof["cate_upper"].to_numpy(), dr_scores=first.dr_scores,
                              folds=first.nuisances.folds, propensity=first.nuisances.e)
        pol, secs = run_policy(inputs, pcfg, seed=seed, out=out, outcome=outcomes[0])
        sections += secs
        warnings += pol.warnings
    return sections, warnings, pol
