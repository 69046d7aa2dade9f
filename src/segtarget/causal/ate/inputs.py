"""Checking a unit-level table before the ATE stage (the study design or a user's table).

One row per unit. The treatment column must be binary (0/1 or true/false), every outcome numeric and not
constant, every covariate numeric; no missing or infinite values anywhere we use. Default covariates: all
numeric (or boolean) columns other than the treatment, the outcomes and the id. Each problem raises a
one-line :class:`~segtarget.errors.SegtargetError` naming the file, column and fix.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import SegtargetError


def _require_column(df: pd.DataFrame, col: str, option: str, source: str) -> None:
    if col not in df.columns:
        close = difflib.get_close_matches(col, [str(c) for c in df.columns], n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"columns are: {', '.join(map(str, df.columns[:20]))}"
        raise SegtargetError(f"{source}: {option} column '{col}' not found; {hint}")


def _numeric(df: pd.DataFrame, col: str, role: str, source: str) -> np.ndarray:
    s = df[col]
    if s.dtype == bool:
        s = s.astype(float)
    if not pd.api.types.is_numeric_dtype(s):
        raise SegtargetError(f"{source}: {role} column '{col}' is not numeric (dtype {s.dtype}); "
                             "encode it as numbers or leave it out")
    x = s.to_numpy(dtype=float)
    bad = ~np.isfinite(x)
    if bad.any():
        raise SegtargetError(f"{source}: {role} column '{col}' has {int(bad.sum())} missing or infinite values "
                             f"(first at row {int(np.argmax(bad))}); drop or impute them first")
    return x


def _binary_treatment(df: pd.DataFrame, col: str, source: str) -> np.ndarray:
    s = df[col]
    if s.isna().any():
        raise SegtargetError(f"{source}: treatment column '{col}' has {int(s.isna().sum())} missing values; "
                             "drop those rows first")
    values = set(pd.unique(s).tolist())
    if not values <= {0, 1, True, False}:
        shown = ", ".join(map(repr, sorted(values, key=str)[:5]))
        raise SegtargetError(f"{source}: treatment column '{col}' must be binary 0/1 (found {shown}); "
                             "recode it as 1 = treated, 0 = control")
    return s.astype(int).to_numpy()


@dataclass(frozen=True)
class CheckedTable:
    """The validated arrays and the covariates actually used."""

    T: np.ndarray
    Y: dict[str, np.ndarray]
    X: pd.DataFrame
    dropped_constant: tuple[str, ...]


def check_table(df: pd.DataFrame, *, treatment: str, outcomes: list[str], covariates: list[str] | None,
                id_col: str | None, n_folds: int, source: str = "input table") -> CheckedTable:
    """Validate the table and return float arrays (module docstring lists the rules)."""
    if df.empty:
        raise SegtargetError(f"{source}: the table has no rows")
    if not outcomes:
        raise SegtargetError(f"{source}: no outcome given; pass --outcome COLUMN")
    for col, opt in [(treatment, "--treatment"), *[(o, "--outcome") for o in outcomes]]:
        _require_column(df, col, opt, source)
    if id_col is not None:
        _require_column(df, id_col, "--id", source)
        if df[id_col].duplicated().any():
            raise SegtargetError(f"{source}: id column '{id_col}' has duplicated values; one row per unit is "
                                 "required")
    if treatment in outcomes:
        raise SegtargetError(f"{source}: '{treatment}' is both the treatment and an outcome; pick another outcome")
    T = _binary_treatment(df, treatment, source)
    for arm, name in ((1, "treated"), (0, "control")):
        n_arm = int((T == arm).sum())
        if n_arm < 2 * n_folds:
            raise SegtargetError(f"{source}: treatment column '{treatment}' has {n_arm} {name} units; at least "
                                 f"{2 * n_folds} per arm are needed for {n_folds}-fold cross-fitting")
    Y = {}
    for o in outcomes:
        Y[o] = _numeric(df, o, "outcome", source)
        if np.ptp(Y[o]) == 0:
            raise SegtargetError(f"{source}: outcome column '{o}' is constant ({Y[o][0]:g}); "
                                 "an effect on it cannot be estimated")
    reserved = {treatment, *outcomes} | ({id_col} if id_col else set())
    if covariates is None:
        covariates = [c for c in df.columns if c not in reserved
                      and (pd.api.types.is_numeric_dtype(df[c]) or df[c].dtype == bool)]
    else:
        for c in covariates:
            _require_column(df, c, "--covariates", source)
            if c in reserved:
                raise SegtargetError(f"{source}: covariate '{c}' is also the treatment, an outcome or the id; "
                                     "remove it from --covariates")
    X = pd.DataFrame({c: _numeric(df, c, "covariate", source) for c in covariates}, index=df.index)
    constant = tuple(c for c in X.columns if np.ptp(X[c].to_numpy()) == 0)
    X = X.drop(columns=list(constant)).reset_index(drop=True)
    if X.shape[1] == 0:
        raise SegtargetError(f"{source}: no usable (numeric, non-constant) covariates; pass --covariates a,b,c")
    return CheckedTable(T=T, Y=Y, X=X, dropped_constant=constant)
