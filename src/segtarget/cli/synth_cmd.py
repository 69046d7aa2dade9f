"""``segtarget synth``: canonical tables of any size, new households resampled from real ones."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..data.registry import source_help
from .root import app



@app.command("synth")
def synth_command(
    households: int = typer.Option(..., "--households", help="number of households to write"),
    out: Path = typer.Option(..., "--out", help="output folder (canonical tables; read it with --data tables:DIR)"),
    source: Optional[str] = typer.Option(None, "--source", help=source_help() + " (default: data.source)"),
    seed: Optional[int] = typer.Option(None, help="same seed, same data (default: run.seed)"),
    week_window: int = typer.Option(2, help="k: each week slot of a new household draws a source week within "
                                            "+-k weeks"),
    household_noise: float = typer.Option(0.10, help="sigma of the per-household lognormal factor on money"),
    basket_noise: float = typer.Option(0.10, help="sigma of the per-basket lognormal factor on money"),
    chunk_households: int = typer.Option(25_000, help="households per transactions part (bounds memory)"),
    promotions: bool = typer.Option(True, help="copy the promotions table (large: 20.9M rows embedded)"),
    compare: bool = typer.Option(True, help="compare the 33 feature marginals with the source; writes "
                                            "OUT/synth_comparison.csv"),
    compare_households: int = typer.Option(5_000, help="resampled households sampled for the comparison"),
    memory_limit: str = typer.Option("", help="DuckDB memory limit, e.g. 4GB"),
) -> None:
    """Write N households built from SOURCE as parquet (canonical tables: layout).

    The first SOURCE-size households are the source itself, unchanged. Every further household is built
    from one source household: each week slot between its first and last purchase week takes all baskets
    of one source week drawn within +-WEEK_WINDOW weeks (first and last slots keep their own week), with
    new basket ids and sales/discounts times a household and a per-basket lognormal factor (mean 1), so
    no two households share a purchase history. Campaign memberships are not cloned: a new household
    joins campaign c with the membership rate of c among source households of its source's spend decile,
    drawn independently; it keeps its source's redemptions of c only if both are members. Demographics
    are the source's. With --compare, prints how the 33 feature marginals differ from the source.
    """
    from rich.console import Console

    from ..config import DataConfig, RunConfig
    from ..synth import SynthConfig, synthesize

    source = DataConfig().source if source is None else source
    seed = RunConfig().seed if seed is None else seed
    cfg = SynthConfig(week_window=week_window, household_noise=household_noise, basket_noise=basket_noise,
                      chunk_households=chunk_households)
    res = synthesize(out, households, source=source, seed=seed, config=cfg, promotions=promotions,
                     memory_limit=memory_limit)
    console = Console(stderr=True)
    console.print(f"wrote {res.households:,} households ({res.replicates} replicate(s) of "
                  f"{res.source_households:,}), {res.lines:,} lines in {res.parts} part(s) to {res.out} "
                  f"in {res.seconds:.1f}s")
    if compare and res.replicates > 1:
        from ..features.compare import compare_synthetic

        cmp = compare_synthetic(source, out, sample=compare_households, seed=seed)
        cmp.summary_frame().to_csv(Path(out) / "synth_comparison.csv", index=False, float_format="%.6g")
        console.print(f"feature marginals vs source: {cmp.headline()}; table: {Path(out) / 'synth_comparison.csv'}")
