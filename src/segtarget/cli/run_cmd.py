"""``segtarget run``: the whole pipeline on one source, writing report.html and its tables and figures."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import List, Optional

import typer

from ..data.registry import source_help
from .options import COST_HELP, MARGIN_HELP, money_overrides
from .root import app


def _progress_log(quiet: bool):
    from rich.console import Console

    from ..pipeline import RunLog

    console = Console(stderr=True, quiet=quiet)
    if quiet:
        return RunLog(), None, console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                        TimeElapsedColumn(), console=console, transient=False)
    tasks: dict[str, int] = {}

    def update(step: str, fraction: float) -> None:
        if step not in tasks:
            tasks[step] = progress.add_task(step, total=1.0)
        progress.update(tasks[step], completed=max(0.0, min(1.0, fraction)))

    def announce(name: str) -> None:
        update(f"step: {name}", 0.0)
        for key, tid in tasks.items():
            if key.startswith("step:") and key != f"step: {name}":
                progress.update(tid, completed=1.0)

    return RunLog(progress=update, announce=announce), progress, console


@app.command("run")
def run_command(
    data: Optional[str] = typer.Option(None, "--data", help=source_help()),
    out: Optional[Path] = typer.Option(None, "--out", help="output directory (default results/)"),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML config file"),
    set_: List[str] = typer.Option([], "--set", help="override a config value: section.key=value (repeatable)"),
    seed: Optional[int] = typer.Option(None, "--seed", help="random seed"),
    cost: Optional[str] = typer.Option(None, "--cost", help=COST_HELP),
    margin: Optional[str] = typer.Option(None, "--margin", help=MARGIN_HELP),
    engine: Optional[str] = typer.Option(None, "--engine", help="duckdb | spark: where the data-heavy SQL runs "
                                                                "(data.engine; spark needs the spark extra, see "
                                                                "docs/scale.md)"),
    no_cache: bool = typer.Option(False, "--no-cache", help="recompute every step and leave the step cache alone (where it is: `segtarget cache --path`)"),
    quiet: bool = typer.Option(False, "--quiet", help="no progress output"),
) -> None:
    """Run everything: segments, campaign effects, targeting policy; write report.html."""
    from ..config import load_config
    from ..decision import verdict_line
    from ..pipeline import run

    overrides = [*set_, *money_overrides(cost, margin)]
    for key, value in (("data.source", data), ("data.engine", engine), ("run.seed", seed),
                       ("run.out", str(out) if out else None)):
        if value is not None:
            overrides.append(f"{key}={value!r}" if isinstance(value, str) else f"{key}={value}")
    if no_cache:
        overrides.append("run.use_cache=false")
    cfg = load_config(config, overrides)  # checks every value, before anything is written
    if cfg.run.use_cache is None:  # the command caches unless told not to (the Python API only when asked)
        cfg = dataclasses.replace(cfg, run=dataclasses.replace(cfg.run, use_cache=True))
    log, progress, console = _progress_log(quiet)
    if progress is not None:
        progress.start()
    try:
        result = run(cfg, log=log)
        report = result.write(log=log)
    finally:
        if progress is not None:
            progress.stop()
    if not quiet:
        from rich.table import Table

        t = Table("step", "seconds", title="Time per step")
        for step, secs in log.timings.items():
            t.add_row(step, f"{secs:.1f}")
        console.print(t)
    typer.echo(verdict_line(result.policy))  # the sentence the report opens with, from memory
    typer.echo(f"report: {report.resolve()}")
