"""``segtarget abtest``: read out a finished randomised experiment.

Writes ``<out>/estimates.csv`` (difference in means and, with ``--pre``, CUPED: estimate, SE, 95% CI,
p-value), ``<out>/segments.csv`` with ``--segment`` and ``<out>/profit.csv`` with ``--cost``. The directory
appears only when every file is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .root import app


def _print(result, outdir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Experiment readout (average effect of treatment)")
    for col in ("method", "estimate", "95% CI", "p-value", "n treat / control"):
        table.add_column(col)
    for r in result.estimates.itertuples():
        table.add_row(r.method, f"{r.estimate:,.3f}", f"[{r.ci_lower:,.3f}, {r.ci_upper:,.3f}]",
                      f"{r.p_value:.4g}", f"{r.n_treatment} / {r.n_control}")
    console = Console()
    console.print(table)
    if result.profit is not None:
        for r in result.profit.itertuples():
            console.print(f"{r.method}: profit per contact {r.profit_per_contact:,.2f} "
                          f"[{r.ci_lower:,.2f}, {r.ci_upper:,.2f}], ROI {r.roi:.1%} "
                          f"(cost {r.cost:g}, margin {r.margin:g})")
    console.print(f"written to {outdir}")


@app.command("abtest")
def abtest(
    input: Path = typer.Option(..., "--input", help="CSV or parquet file, one row per household."),
    treatment: str = typer.Option(..., "--treatment", help="0/1 column: 1 = contacted."),
    outcome: str = typer.Option(..., "--outcome", help="Numeric outcome column (e.g. sales in the window)."),
    pre: Optional[str] = typer.Option(None, "--pre", help="Pre-period covariate for CUPED (e.g. spend)."),
    segment: Optional[str] = typer.Option(None, "--segment", help="Column with a segment per household."),
    cost: Optional[float] = typer.Option(None, "--cost", help="Cost per contacted household."),
    margin: Optional[float] = typer.Option(None, "--margin", help="Margin on incremental sales (default: "
                                                                  "policy.margin)."),
    out: Path = typer.Option(Path("abtest_readout"), "--out", help="Output directory."),
) -> None:
    """Difference in means and CUPED estimate with CI and p-value, per-segment effects, profit."""
    from ..io import atomic_output_dir, read_table
    from ..policy.readout import readout

    df = read_table(input)
    result = readout(df, treatment=treatment, outcome=outcome, pre=pre, segment=segment, cost=cost,
                     margin=margin, source=str(input))
    with atomic_output_dir(out) as tmp:
        result.estimates.to_csv(tmp / "estimates.csv", index=False)
        if result.segments is not None:
            result.segments.to_csv(tmp / "segments.csv", index=False)
        if result.profit is not None:
            result.profit.to_csv(tmp / "profit.csv", index=False)
    _print(result, out)
