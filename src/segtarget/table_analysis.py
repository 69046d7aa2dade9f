"""``segtarget causal``: the causal and policy stages on any unit-level table (not the study design).

``analyze_table`` validates the table (one-line errors) and runs the ATE stage; ``write_outputs`` writes its
top-level CSVs; ``cate_and_policy`` then fits the CATE model zoo for every outcome on the same cross-fitted
nuisances, writes ``cate.csv`` / ``cate_models.csv`` / ``refutation.csv``, and, when a cost per contact is
given, values the targeting policies for the first outcome (``policy.csv``). It spans the causal and policy
stages, so it lives above both.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from .causal.ate.inputs import check_table
from .causal.ate.pipeline import run_ate
from .causal.ate.result import AteResult
from .causal.config import AteConfig
from .io import OutputDir, atomic_write_table
from .report.section import Section


def analyze_table(df: pd.DataFrame, treatment: str, outcomes: list[str], covariates: list[str] | None,
                  id_col: str | None, seed: int, cfg: AteConfig, out: OutputDir,
                  source: str = "input table") -> tuple[AteResult, list[Section]]:
    """Validate a user table (one-line errors naming the column), then run the ATE stage on it."""
    checked = check_table(df, treatment=treatment, outcomes=outcomes, covariates=covariates, id_col=id_col,
                          n_folds=cfg.folds, source=source)
    clean = checked.X.assign(**{treatment: checked.T}, **{o: checked.Y[o] for o in outcomes})
    result, sections = run_ate(clean, treatment=treatment, outcomes=outcomes, covariates=list(checked.X.columns),
                               cfg=cfg, seed=seed, out=out)
    if checked.dropped_constant:
        note = f"constant covariates dropped: {', '.join(checked.dropped_constant)}"
        result = dataclasses.replace(result, dropped_covariates=checked.dropped_constant,
                                     warnings=[*result.warnings, note])
        sections[0].warnings.append(note)
    return result, sections


def write_outputs(result: AteResult, root: Path) -> list[Path]:
    """``ate.csv``, ``positivity.csv``, ``balance.csv``, ``sensitivity.csv`` and ``propensity_models.csv``."""
    frames = {"ate": result.ate, "positivity": result.positivity_frame, "balance": result.balance,
              "sensitivity": result.sensitivity, "propensity_models": result.propensity.scores}
    return [atomic_write_table(df, root / f"{name}.csv") for name, df in frames.items()]


def cate_and_policy(df: pd.DataFrame, ate_res, *, treatment: str, outcomes: list[str], id_col: str | None,
                    cfg, seed: int, out: OutputDir, cost: float | None = None,
                    margin: float | None = None) -> tuple[list[Section], list[str], object | None]:
    """Run CATE (every outcome) and, with a cost, the policy stage; return sections, warnings, policy."""
    from .causal.cate.pipeline import run_cate, write_cate_outputs
    from .policy.pipeline import PolicyInputs, run_policy

    ids = df[id_col].to_numpy() if id_col else range(len(df))
    T = df[treatment].to_numpy(int)
    X = df[list(ate_res.covariates)].astype(float).reset_index(drop=True)
    sections, warnings, results = [], [], {}
    valued = cfg.policy.overlap if cfg.policy.value_population == "overlap" else None  # as the policy values
    for o in outcomes:
        res, secs = run_cate(df[o].to_numpy(float), T, X, nuisances=ate_res.nuisances[o], cfg=cfg.cate, seed=seed,
                             out=out, outcome=o, groups=pd.Series(ids).to_numpy() if id_col else None, overlap=valued)
        results[o] = res
        sections += secs
        warnings += res.warnings
    write_cate_outputs(results, out.root, ids=None if id_col is None else ids)
    pol = None
    if cost is not None:
        first = results[outcomes[0]]
        pcfg = dataclasses.replace(cfg.policy, cost=float(cost),
                                   **({"margin": float(margin)} if margin is not None else {}))
        inputs = PolicyInputs.from_cate(first, Y=df[outcomes[0]].to_numpy(float), T=T, X=X,
                                        groups=pd.Series(ids).to_numpy())
        pol, secs = run_policy(inputs, pcfg, seed=seed, out=out, outcome=outcomes[0])
        sections += secs
        warnings += pol.warnings
    return sections, warnings, pol
