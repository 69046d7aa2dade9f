"""``segtarget causal``: the causal and policy stages on any unit-level table (not the study design).

``analyze_table`` validates the table (one-line errors) and runs the ATE stage; ``write_outputs`` writes its
top-level CSVs; ``cate_and_policy`` then fits the CATE model zoo for every outcome on the same cross-fitted
nuisances, writes ``cate.csv`` / ``cate_models.csv`` / ``refutation.csv``, and decides for the first outcome
through the one decision path of ``segtarget run`` (:mod:`segtarget.decision`: averaged AIPW scores, the
nested out-of-fold CATE, ``policy.*`` config with ``policy.cost`` = ``--cost``, verdict, A/B plan). A unit
table has no design gate, so its verdict never contacts (see :mod:`segtarget.decision`). It spans the causal
and policy stages, so it lives above both.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from .causal.ate.inputs import check_table
from .causal.ate.pipeline import run_ate
from .causal.ate.result import AteResult
from .causal.config import AteConfig
from .errors import SegtargetError
from .io import OutputDir, atomic_write_table
from .report.section import Section


def _role_column(df: pd.DataFrame, col: str | None, flag: str, source: str) -> np.ndarray | None:
    """The values of a --cluster / --strata / --pre column, or a one-line error naming the flag."""
    if col is None:
        return None
    if col not in df.columns:
        raise SegtargetError(f"{source}: {flag} column '{col}' not found; columns are {', '.join(map(str, df.columns))}")
    if df[col].isna().any():
        raise SegtargetError(f"{source}: {flag} column '{col}' has {int(df[col].isna().sum())} missing values; "
                             "fill or drop those rows")
    return df[col].to_numpy()


def analyze_table(df: pd.DataFrame, treatment: str, outcomes: list[str], covariates: list[str] | None,
                  id_col: str | None, seed: int, cfg: AteConfig, out: OutputDir,
                  source: str = "input table", *, cluster: str | None = None, strata: str | None = None,
                  exclude: tuple[str, ...] = ()) -> tuple[AteResult, list[Section]]:
    """Validate a user table (one-line errors naming the column), then run the ATE stage on it.

    ``cluster``: a column whose units belong together (a household in several trials): folds never split it and
    standard errors are clustered by it; ``strata``: the trial of a stacked table (naive difference within it);
    ``exclude``: further columns that are never default covariates (the discount outcomes). Without
    ``covariates`` every other numeric column is one."""
    groups = _role_column(df, cluster, "--cluster", source)
    trial = _role_column(df, strata, "--strata", source)
    if covariates is None:
        roles = {treatment, *outcomes, id_col, cluster, strata, *exclude}
        covariates = [c for c in df.columns if c not in roles
                      and (pd.api.types.is_numeric_dtype(df[c]) or df[c].dtype == bool)]
    checked = check_table(df, treatment=treatment, outcomes=outcomes, covariates=covariates, id_col=id_col,
                          n_folds=cfg.folds, source=source)
    clean = checked.X.assign(**{treatment: checked.T}, **{o: checked.Y[o] for o in outcomes})
    result, sections = run_ate(clean, treatment=treatment, outcomes=outcomes, covariates=list(checked.X.columns),
                               cfg=cfg, seed=seed, out=out, groups=groups, strata=trial)
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
                    cfg, seed: int, out: OutputDir, cluster: str | None = None, pre: str | None = None,
                    gate=None) -> tuple[list[Section], list[str], object]:
    """CATE for every outcome, then the policy stage for the first (``cfg`` is the whole Config: its
    ``policy`` section as in ``segtarget run``); returns sections, warnings and the PolicyResult.

    ``gate``: the design gate the verdict reads, default :func:`~segtarget.decision.unit_table_gate`."""
    from .causal.cate.pipeline import run_cate, write_cate_outputs
    from .decision import decide, make_units, unit_table_gate
    from .policy.report import policy_sections

    d = df.reset_index(drop=True)
    ids = d[id_col].to_numpy() if id_col else np.arange(len(d))
    groups = _role_column(d, cluster, "--cluster", "--input")
    _role_column(d, pre, "--pre", "--input")
    T = d[treatment].to_numpy(int)
    X = d[list(ate_res.covariates)].astype(float)
    sections, warnings, results = [], [], {}
    valued = cfg.policy.overlap if cfg.policy.value_population == "overlap" else None  # as the policy values
    for o in outcomes:
        res, secs = run_cate(d[o].to_numpy(float), T, X, nuisances=ate_res.nuisances[o], cfg=cfg.cate, seed=seed,
                             out=out, outcome=o, groups=groups, overlap=valued, n_jobs=cfg.run.n_jobs)
        results[o] = res
        sections += secs
        warnings += res.warnings
    write_cate_outputs(results, out.root, ids=None if id_col is None else ids)
    # without a cluster column each unit is its own cluster; its id names it in the A/B assignment
    units = make_units(d, treatment=treatment, outcome=outcomes[0], covariates=ate_res.covariates,
                       groups=ids if groups is None else groups, cfg=cfg, pre=pre, require_discounts=False)
    pol = decide(units, ate_res, results[outcomes[0]], cfg, seed, gate=unit_table_gate() if gate is None else gate)
    sections += policy_sections(pol, out, outcome=outcomes[0])
    warnings += pol.warnings
    return sections, warnings, pol
