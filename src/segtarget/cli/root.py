"""The root Typer application every command module registers on (kept apart so commands import no package
``__init__`` that imports them back)."""

from __future__ import annotations

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Customer segments and causal campaign targeting from retail transactions.",
)


@app.callback()
def _root() -> None:
    """Customer segments and causal campaign targeting from retail transactions."""
