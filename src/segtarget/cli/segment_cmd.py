"""``segtarget segment`` (fit Track 1 and write its report) and ``segtarget assign`` (label households)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..data.registry import source_help
from .root import app


@app.command("segment")
def segment_command(
    out: Path = typer.Option(..., "--out", help="output directory (tables/, figures/, model/, report.html)"),
    data: Optional[str] = typer.Option(None, "--data", help=source_help()),
    features: Optional[Path] = typer.Option(None, "--features", help="or: a household feature table (.parquet/.csv)"),
    start: Optional[str] = typer.Option(None, "--start", help="first date included (YYYY-MM-DD)"),
    end: Optional[str] = typer.Option(None, "--end", help="first date excluded (YYYY-MM-DD)"),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML config file"),
    set_: List[str] = typer.Option([], "--set", help="override a config value, e.g. segments.kmeans_k=7"),
    seed: Optional[int] = typer.Option(None, "--seed", help="random seed"),
) -> None:
    """Fit the customer segmentation (Track 1) and save the model for 'segtarget assign'."""
    from rich.console import Console

    from ..config import config_to_dict, load_config
    from ..errors import SegtargetError
    from ..io import OutputDir, atomic_output_dir, read_table
    from ..report.render import render_report
    from ..report.summary import summary_from_sections
    from ..segments.pipeline import run_segments

    if (data is None) == (features is None):
        raise SegtargetError("segment: give exactly one of --data SOURCE or --features FILE")
    overrides = list(set_) + ([f"run.seed={seed}"] if seed is not None else [])
    cfg = load_config(config, overrides)
    console = Console(stderr=True)
    if features is not None:
        if start or end:
            raise SegtargetError("segment: --start/--end select transactions and need --data, not --features")
        feats = read_table(features, "--features")
        source = str(features)
    else:
        from ..data import load_source
        from ..features import compute_features

        tables = load_source(data)
        feats = compute_features(tables, start=start, end=end, exposure=None if cfg.features.exposure else False)
        source = data
    with atomic_output_dir(out) as root:
        result, sections = run_segments(feats, cfg.segments, random_state=cfg.run.seed, out=OutputDir(root),
                                        n_jobs=cfg.run.n_jobs, backend=cfg.run.parallel_backend)
        result.labels.to_csv(root / "segments.csv", index=False)
        summary = summary_from_sections(sections, facts=[("Data", source), ("Households", f"{len(feats):,}")])
        render_report(sections, root=root, summary=summary, title="segtarget: customer segments",
                      manifest={"command": "segment", "config": config_to_dict(cfg), "seed": cfg.run.seed,
                                "headline": result.headline})
    h = result.headline
    console.print(f"{h['n_segments']} segments (NMF k = {h['nmf_k']}) of {h['n_households']:,} households; "
                  + ", ".join(f"{n} {s:.0%}" for n, s in h["segments"]))
    typer.echo(f"model: {(out / 'model').resolve()}\nreport: {(out / 'report.html').resolve()}")


@app.command("assign")
def assign_command(
    model: Path = typer.Option(..., "--model", help="model directory written by 'segtarget segment' (OUT/model)"),
    features: Path = typer.Option(..., "--features", help="household feature table (.parquet/.csv)"),
    out: Path = typer.Option(..., "--out", help="output file (.parquet/.csv): household_id, segment, segment_name"),
) -> None:
    """Label households with a saved segmentation."""
    from ..io import atomic_write_table, read_table
    from ..segments.model import SegmentModel

    fitted = SegmentModel.load(model)
    labels = fitted.assign(read_table(features, "--features"))
    atomic_write_table(labels, out)
    counts = labels["segment_name"].value_counts()
    typer.echo(f"wrote {len(labels):,} households to {out}: " + ", ".join(f"{n} {c:,}" for n, c in counts.items()))
