"""``segtarget causal``: propensity, positivity and the ATE family on any unit-level table.

Writes ``<out>/ate.csv`` (outcome, method, estimand, estimate, std_error, ci_lower, ci_upper, n, trim,
default), ``positivity.csv``, ``balance.csv``, ``sensitivity.csv``, ``propensity_models.csv``,
``tables/`` and ``figures/`` and ``report.html``. The directory appears only when everything succeeded.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .root import app


@app.command("causal")
def causal(
    input: Path = typer.Option(..., "--input", help="CSV or parquet file, one row per unit."),
    treatment: str = typer.Option(..., "--treatment", help="Binary 0/1 column: 1 = treated."),
    outcome: List[str] = typer.Option(..., "--outcome", help="Numeric outcome column (repeat for several)."),
    covariates: Optional[str] = typer.Option(None, "--covariates",
                                             help="Comma-separated covariates (default: every other numeric column)."),
    id_col: Optional[str] = typer.Option(None, "--id", help="Unit id column (checked for duplicates, not used)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (same seed, same numbers); sets run.seed, "
                                                            "whose value it defaults to."),
    out: Path = typer.Option(..., "--out", help="Output directory (replaced atomically)."),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML config; its ate section is used."),
    set_: Optional[List[str]] = typer.Option(None, "--set", help="Override, e.g. ate.folds=3 (repeatable)."),
    cost: Optional[float] = typer.Option(None, "--cost", help="Cost per contacted unit: adds policy.csv."),
    margin: Optional[float] = typer.Option(None, "--margin", help="Margin on incremental outcome (default: "
                                                                  "policy.margin)."),
    cate: bool = typer.Option(True, "--cate/--no-cate", help="Fit the CATE model zoo (cate.csv, cate_models.csv)."),
) -> None:
    """Estimate average effects of TREATMENT on each OUTCOME with overlap diagnostics."""
    from ..pipeline import executive_summary
    from ..report.render import render_report
    from ..config import load_config
    from ..io import OutputDir, atomic_output_dir, read_table
    from ..table_analysis import analyze_table, cate_and_policy, write_outputs

    full = load_config(config, [*(set_ or []), *([f"run.seed={seed}"] if seed is not None else [])])
    cfg, seed = full.ate, full.run.seed
    if cost is not None and not cate:
        from ..errors import SegtargetError

        raise SegtargetError("--cost needs the CATE stage; drop --no-cate")
    df = read_table(input)
    covs = [c.strip() for c in covariates.split(",") if c.strip()] if covariates else None
    with atomic_output_dir(out) as tmp:
        result, sections = analyze_table(df, treatment, list(outcome), covs, id_col, seed, cfg, OutputDir(tmp),
                                         source=f"--input {input}")
        write_outputs(result, tmp)
        warnings, pol = list(result.warnings), None
        if cate:
            more, more_warnings, pol = cate_and_policy(df, result, treatment=treatment, outcomes=list(outcome),
                                                       id_col=id_col, cfg=full, seed=seed, out=OutputDir(tmp),
                                                       cost=cost, margin=margin)
            sections += more
            warnings += more_warnings
        facts = [("Input", input.name), ("Units", f"{len(df):,}"), ("Treatment", treatment),
                 ("Covariates", str(len(result.covariates))), ("Seed", str(seed))]
        render_report(sections, root=tmp, summary=executive_summary(facts, None, result, pol, warnings),
                      manifest={"input": str(input), "treatment": treatment, "outcomes": list(outcome),
                                "seed": seed}, title=f"Effect of {treatment} on {', '.join(outcome)}")
    for o, h in result.headline.items():
        typer.echo(f"{o}: {h['estimand']} = {h['estimate']:.4g} (95% CI {h['ci_lower']:.4g} to {h['ci_upper']:.4g})")
    typer.echo(f"written to {out}")
