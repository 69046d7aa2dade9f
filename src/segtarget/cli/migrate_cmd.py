"""``segtarget migrate``: segment migration between calendar quarters with a saved segmentation."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..data.registry import source_help
from .root import app


@app.command("migrate")
def migrate_command(
    model: Path = typer.Option(..., "--model", help="model directory written by 'segtarget segment' or 'run' (OUT/model)"),
    data: str = typer.Option(..., "--data", help=source_help()),
    out: Path = typer.Option(..., "--out", help="output directory (tables/, figures/, model_quarterly/, report.html)"),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML config file"),
    set_: List[str] = typer.Option([], "--set", help="override a config value, e.g. segments.migration_uncertain_ratio=0.9"),
) -> None:
    """Assign households quarter by quarter and show who moves between segments (and who is at risk)."""
    from rich.console import Console

    from ..config import config_to_dict, load_config
    from ..data import load_source
    from ..io import OutputDir, atomic_output_dir
    from ..report.render import render_report
    from ..report.summary import summary_from_sections
    from ..segments.migration_run import run_migration
    from ..segments.model import SegmentModel
    from ..segments.quarters import quarterly_features

    cfg = load_config(config, list(set_))
    fitted = SegmentModel.load(model)  # checks format, version and feature definitions before any work
    tables = load_source(data)
    by_quarter = quarterly_features(tables, data)
    with atomic_output_dir(out) as root:
        res, used, sections = run_migration(fitted, by_quarter, OutputDir(root),
                                            uncertain_ratio=cfg.segments.migration_uncertain_ratio,
                                            n_boot=cfg.segments.migration_n_bootstrap, n_jobs=cfg.run.n_jobs,
                                            backend=cfg.run.parallel_backend, figures=cfg.segments.figures)
        summary = summary_from_sections(sections, facts=[("Data", data), ("Model", str(model)),
                                                         ("Quarters", ", ".join(by_quarter))])
        render_report(sections, root=root, summary=summary, title="segtarget: segment migration",
                      manifest={"command": "migrate", "config": config_to_dict(cfg), "model": str(model)})
    last = res.summary.iloc[-1]
    Console(stderr=True).print(
        f"{last['from_quarter']} -> {last['to_quarter']}: {int(last['moves']):,} of {int(last['active_both']):,} "
        f"households changed segment ({last['move_share']:.0%}); {len(res.at_risk):,} at risk")
    typer.echo(f"report: {(out / 'report.html').resolve()}\nat risk: {(out / 'tables' / 'at_risk.csv').resolve()}")
