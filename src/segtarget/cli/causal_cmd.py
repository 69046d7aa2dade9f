"""``segtarget causal``: propensity, positivity and the ATE family on any unit-level table.

Writes ``<out>/ate.csv`` (outcome, method, estimand, estimate, std_error, ci_lower, ci_upper, n, trim,
default), ``positivity.csv``, ``balance.csv``, ``sensitivity.csv``, ``propensity_models.csv``,
``tables/`` and ``figures/`` and ``report.html``. The directory appears only when everything succeeded.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from . import app


@app.command("causal")
def causal(
    input: Path = typer.Option(..., "--input", help="CSV or parquet file, one row per unit."),
    treatment: str = typer.Option(..., "--treatment", help="Binary 0/1 column: 1 = treated."),
    outcome: List[str] = typer.Option(..., "--outcome", help="Numeric outcome column (repeat for several)."),
    covariates: Optional[str] = typer.Option(None, "--covariates",
                                             help="Comma-separated covariates (default: every other numeric column)."),
    id_col: Optional[str] = typer.Option(None, "--id", help="Unit id column (checked for duplicates, not used)."),
    seed: int = typer.Option(42, "--seed", help="Random seed (same seed, same numbers)."),
    out: Path = typer.Option(..., "--out", help="Output directory (replaced atomically)."),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML config; its [ate] section is used."),
    set_: Optional[List[str]] = typer.Option(None, "--set", help="Override, e.g. ate.folds=3 (repeatable)."),
) -> None:
    """Estimate average effects of TREATMENT on each OUTCOME with overlap diagnostics."""
    from ..causal.ate_pipeline import analyze_table
    from ..causal.ate_report import render_report, write_outputs
    from ..causal.table_input import read_table
    from ..config import load_config
    from ..io import OutputDir, atomic_output_dir

    cfg = load_config(config, set_ or []).ate
    df = read_table(input)
    covs = [c.strip() for c in covariates.split(",") if c.strip()] if covariates else None
    with atomic_output_dir(out) as tmp:
        result, sections = analyze_table(df, treatment, list(outcome), covs, id_col, seed, cfg, OutputDir(tmp),
                                         source=f"--input {input}")
        write_outputs(result, tmp)
        render_report(sections, tmp, title=f"Effect of {treatment} on {', '.join(outcome)}",
                      subtitle=f"{input.name}: {len(df)} units, {len(result.covariates)} covariates, seed {seed}")
    for o, h in result.headline.items():
        typer.echo(f"{o}: {h['estimand']} = {h['estimate']:.4g} (95% CI {h['ci_lower']:.4g} to {h['ci_upper']:.4g})")
    typer.echo(f"written to {out}")
