"""``segtarget features``: the household feature table for any window, or the feature dictionary."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..data.registry import source_help
from .root import app


@app.command("features")
def features_command(
    data: Optional[str] = typer.Option(None, "--data", help=source_help() + " (default: data.source)"),
    start: Optional[str] = typer.Option(None, help="first date included (YYYY-MM-DD)"),
    end: Optional[str] = typer.Option(None, help="first date excluded (YYYY-MM-DD)"),
    out: Optional[Path] = typer.Option(None, help="output file, .parquet or .csv"),
    exposure: Optional[bool] = typer.Option(None, help="add promotion exposure features when promotions exist "
                                                       "(default: features.exposure)"),
    reference_point: str = typer.Option("data", help="recency measured from: data | window_end"),
    engine: str = typer.Option("duckdb", help="duckdb | spark (same SQL transpiled; needs the spark extra, see docs/scale.md)"),
    describe: bool = typer.Option(False, "--describe", help="print the feature dictionary and exit"),
) -> None:
    """Write one row per household: household_id + every feature."""
    from rich.console import Console

    console = Console(stderr=True)
    if describe:
        from ..features.definitions import describe as describe_features

        table = describe_features()
        if out is not None:
            from ..io import atomic_write_table

            atomic_write_table(table, out)
        else:
            from rich.table import Table

            t = Table("name", "group", "formula", "note", show_lines=False)
            for row in table.itertuples():
                t.add_row(row.name, row.group, row.formula, row.note)
            Console().print(t)
        return
    if out is None:
        from ..errors import SegtargetError

        raise SegtargetError("parameter --out is required: give a .parquet or .csv file")
    if out.suffix not in (".parquet", ".csv"):
        from ..errors import SegtargetError

        raise SegtargetError(f"parameter --out {out}: use a .parquet or .csv suffix")
    from ..config import DataConfig, FeatureConfig
    from ..data import load_source
    from ..features import compute_features
    from ..io import atomic_write_table

    # the flags' defaults are the config's (a bad --data is reported by load_source, naming the flag's value)
    data = DataConfig().source if data is None else data
    exposure = FeatureConfig().exposure if exposure is None else exposure
    if engine == "spark":
        from ..features.spark import compute_features_spark

        feats = compute_features_spark(data, start=start, end=end, exposure=None if exposure else False,
                                       reference_point=reference_point)
    elif engine == "duckdb":
        tables = load_source(data)
        use_exposure = exposure and tables.has("promotions")
        feats = compute_features(tables, start=start, end=end, exposure=use_exposure, reference_point=reference_point)
    else:
        from ..errors import SegtargetError

        raise SegtargetError(f"parameter --engine {engine!r}: use duckdb or spark")
    atomic_write_table(feats, out)
    console.print(f"wrote {len(feats):,} households × {feats.shape[1] - 1} features to {out}")
