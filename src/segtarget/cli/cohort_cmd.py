"""``segtarget cohort``: write the study design's unit table (key, treatment, covariates, outcomes, windows)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..data.registry import source_help
from .root import app


@app.command("cohort")
def cohort_command(
    data: Optional[str] = typer.Option(None, "--data", help=source_help()),
    design: Optional[str] = typer.Option(None, "--design", help="campaign-trials | first-typeA | campaign:ID"),
    out: Path = typer.Option(..., "--out", help="output file, .csv or .parquet"),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML config file"),
    set_: List[str] = typer.Option([], "--set", help="override a config value: design.key=value (repeatable)"),
    engine: Optional[str] = typer.Option(None, "--engine", help="duckdb | spark: where the design's SQL runs "
                                                                "(data.engine; see docs/scale.md)"),
) -> None:
    """One row per study unit (household_id, index_campaign): treated, covariates, outcomes and their window.

    The table goes straight back into ``segtarget causal --treatment treated --outcome purchase_amount``.
    """
    from rich.console import Console

    from ..config import load_config
    from ..errors import SegtargetError

    if out.suffix not in (".parquet", ".csv"):
        raise SegtargetError(f"parameter --out {out}: use a .parquet or .csv suffix")
    overrides = list(set_)
    for key, value in (("data.source", data), ("design.design", design), ("data.engine", engine)):
        if value is not None:
            overrides.append(f"{key}={value!r}")
    cfg = load_config(config, overrides)

    from ..causal.design.study import build_design
    from ..data.engine import open_engine
    from ..io import atomic_write_table

    with open_engine(cfg.data.engine, cfg.spark) as eng:
        cohort = build_design(eng.load(cfg.data.source), cfg.design)
    d = cohort.data
    cols = [*cohort.unit_key, "treated", *cohort.covariates, "pre_spend_week", *cohort.outcomes,
            "outcome_start", "outcome_end", "outcome_weeks", "truncated"]
    atomic_write_table(d[[c for c in dict.fromkeys(cols) if c in d]], out)
    console = Console(stderr=True)
    for r in cohort.skipped.itertuples():
        console.print(f"skipped trial {r.index_campaign}: {r.reason}")
    console.print(f"{len(d):,} units ({int(d.treated.sum()):,} treated) in {d.index_campaign.nunique()} trial(s); "
                  f"outcomes: {cohort.outcome_scale} -> {out}")
