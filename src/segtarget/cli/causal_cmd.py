"""``segtarget causal``: propensity, positivity, the ATE family, the CATE zoo and the policy on any unit table.

Writes ``<out>/ate.csv`` (outcome, method, estimand, estimate, std_error, ci_lower, ci_upper, n, trim,
default), ``positivity.csv``, ``balance.csv``, ``sensitivity.csv``, ``propensity_models.csv``, ``cate.csv``,
``cate_models.csv``, ``refutation.csv``, ``policy.csv``, ``tables/`` and ``figures/`` and ``report.html``. The
policy step is the one of ``segtarget run`` (same ``policy.*`` keys; ``--cost`` / ``--margin`` set
``policy.cost`` / ``policy.margin``, default an assumed $1.00 and 0.30). The directory appears only when
everything succeeded.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .options import COST_HELP, MARGIN_HELP, money_overrides
from .root import app


@app.command("causal")
def causal(
    input: Path = typer.Option(..., "--input", help="CSV or parquet file, one row per unit."),
    treatment: str = typer.Option(..., "--treatment", help="Binary 0/1 column: 1 = treated."),
    outcome: List[str] = typer.Option(..., "--outcome", help="Numeric outcome column (repeat for several)."),
    covariates: Optional[str] = typer.Option(None, "--covariates",
                                             help="Comma-separated covariates (default: every other "
                                                  "numeric column but --id, --cluster, --strata and "
                                                  "the discount columns)."),
    id_col: Optional[str] = typer.Option(None, "--id", help="Unit id column (checked for duplicates; names the "
                                                                "units in cate.csv and the A/B assignment)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed (same seed, same numbers); sets run.seed, "
                                                            "whose value it defaults to."),
    out: Path = typer.Option(..., "--out", help="Output directory (replaced atomically)."),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML config; its ate, cate, policy and run "
                                                                "sections are used."),
    set_: Optional[List[str]] = typer.Option(None, "--set", help="Override, e.g. ate.folds=3 (repeatable)."),
    cost: Optional[str] = typer.Option(None, "--cost", help=COST_HELP),
    margin: Optional[str] = typer.Option(None, "--margin", help=MARGIN_HELP),
    cluster: Optional[str] = typer.Option(None, "--cluster", help="Column whose units belong together (a household "
                                                                  "in several trials): folds never split it, CIs are "
                                                                  "clustered by it."),
    strata: Optional[str] = typer.Option(None, "--strata", help="Trial column of a stacked table: the naive "
                                                                "difference is taken within it."),
    pre: Optional[str] = typer.Option(None, "--pre", help="Pre-period outcome column: CUPED in the A/B plan."),
    cate: bool = typer.Option(True, "--cate/--no-cate", help="Fit the CATE model zoo and decide (cate.csv, "
                                                             "policy.csv); --no-cate stops after the ATE."),
) -> None:
    """Estimate the effects of TREATMENT on each OUTCOME and decide whom to contact (the run's policy step)."""
    from ..config import load_config
    from ..decision import verdict_line
    from ..io import OutputDir, atomic_output_dir, read_table
    from ..pipeline import executive_summary
    from ..policy.profit import DISCOUNT_OUTCOMES
    from ..report.render import render_report
    from ..table_analysis import analyze_table, cate_and_policy, write_outputs

    full = load_config(config, [*(set_ or []), *money_overrides(cost, margin),
                                *([f"run.seed={seed}"] if seed is not None else [])])
    cfg, seed = full.ate, full.run.seed
    if (cost is not None or margin is not None) and not cate:
        from ..errors import SegtargetError

        raise SegtargetError("--cost / --margin need the policy step, which needs the CATE stage; drop --no-cate")
    df = read_table(input)
    covs = [c.strip() for c in covariates.split(",") if c.strip()] if covariates else None
    with atomic_output_dir(out) as tmp:
        result, sections = analyze_table(df, treatment, list(outcome), covs, id_col, seed, cfg, OutputDir(tmp),
                                         source=f"--input {input}", cluster=cluster, strata=strata,
                                         exclude=DISCOUNT_OUTCOMES)
        write_outputs(result, tmp)
        warnings, pol = list(result.warnings), None
        if cate:
            more, more_warnings, pol = cate_and_policy(df, result, treatment=treatment, outcomes=list(outcome),
                                                       id_col=id_col, cfg=full, seed=seed, out=OutputDir(tmp),
                                                       cluster=cluster, pre=pre)
            sections += more
            warnings += more_warnings
        facts = [("Input", input.name), ("Units", f"{len(df):,}"), ("Treatment", treatment),
                 ("Covariates", str(len(result.covariates))), ("Seed", str(seed)),
                 ("Design gate", "not testable on a unit table (no history before selection)")]
        render_report(sections, root=tmp, summary=executive_summary(facts, None, result, pol, warnings),
                      manifest={"input": str(input), "treatment": treatment, "outcomes": list(outcome),
                                "seed": seed}, title=f"Effect of {treatment} on {', '.join(outcome)}")
    for o, h in result.headline.items():
        typer.echo(f"{o}: {h['estimand']} = {h['estimate']:.4g} (95% CI {h['ci_lower']:.4g} to {h['ci_upper']:.4g})")
    if pol is not None:
        typer.echo(verdict_line(pol))
    typer.echo(f"written to {out}")
