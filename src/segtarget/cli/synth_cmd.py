"""``segtarget synth``: canonical tables of any size, resampled from real households."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .root import app


@app.command("synth")
def synth_command(
    households: int = typer.Option(..., "--households", help="number of households to write"),
    out: Path = typer.Option(..., "--out", help="output folder (canonical tables; read it with --data tables:DIR)"),
    source: Optional[str] = typer.Option(None, "--source", help="completejourney | dunnhumby:PATH | tables:PATH "
                                                                "(default: data.source)"),
    seed: Optional[int] = typer.Option(None, help="same seed, same data (default: run.seed)"),
    max_shift_days: int = typer.Option(7, help="clones' dates move by up to this many days either way"),
    chunk_households: int = typer.Option(25_000, help="households per transactions part (bounds memory)"),
    promotions: bool = typer.Option(True, help="copy the promotions table (large: 20.9M rows embedded)"),
    memory_limit: str = typer.Option("", help="DuckDB memory limit, e.g. 4GB"),
) -> None:
    """Write N households resampled from SOURCE (new ids, shifted dates, same campaigns) as parquet."""
    from rich.console import Console

    from ..config import DataConfig, RunConfig
    from ..synth import synthesize

    source = DataConfig().source if source is None else source
    seed = RunConfig().seed if seed is None else seed
    res = synthesize(out, households, source=source, seed=seed, max_shift_days=max_shift_days,
                     chunk_households=chunk_households, promotions=promotions, memory_limit=memory_limit)
    Console(stderr=True).print(
        f"wrote {res.households:,} households ({res.replicates} replicate(s) of {res.source_households:,}), "
        f"{res.lines:,} lines in {res.parts} part(s) to {res.out} in {res.seconds:.1f}s")
