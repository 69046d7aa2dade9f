"""``segtarget cache``: where the step cache lives, what it holds, and ``--clear`` to empty it."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .root import app


@app.command("cache")
def cache_command(
    clear: bool = typer.Option(False, "--clear", help="remove every cached step and the leftovers of killed runs"),
    path: bool = typer.Option(False, "--path", help="print only the cache directory"),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML config file (its run.cache_dir)"),
    set_: List[str] = typer.Option([], "--set", help="override a config value, e.g. run.cache_dir=/scratch/me"),
) -> None:
    """The step cache of `segtarget run`: location (default $XDG_CACHE_HOME/segtarget or ~/.cache/segtarget,
    or run.cache_dir), entries and size; --clear empties it."""
    from ..cache import StageCache
    from ..config import load_config

    cache = StageCache(load_config(config, list(set_)).run.cache_dir)
    if path:
        typer.echo(cache.root)
        return
    if clear:
        n, size = cache.clear()
        typer.echo(f"removed {n} cached steps ({size / 1e6:.1f} MB) from {cache.root}")
        return
    entries = cache.entries()
    size = sum(f.stat().st_size for e in entries for f in e.rglob("*") if f.is_file())
    typer.echo(f"cache: {cache.root}: {len(entries)} cached steps, {size / 1e6:.1f} MB "
               f"(`segtarget cache --clear` empties it; `segtarget run --no-cache` ignores it)")
