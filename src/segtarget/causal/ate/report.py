"""Top-level CSV outputs of ``segtarget causal`` for the ATE stage (the report is rendered by segtarget.report)."""

from __future__ import annotations

from pathlib import Path

from ...io import atomic_write_table


def write_outputs(result, root: Path) -> list[Path]:
    """``ate.csv``, ``positivity.csv``, ``balance.csv``, ``sensitivity.csv`` and ``propensity_models.csv``."""
    frames = {"ate": result.ate, "positivity": result.positivity_frame, "balance": result.balance,
              "sensitivity": result.sensitivity, "propensity_models": result.propensity.scores}
    return [atomic_write_table(df, root / f"{name}.csv") for name, df in frames.items()]
