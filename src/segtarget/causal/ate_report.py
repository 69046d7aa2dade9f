"""Outputs of ``segtarget causal``: top-level CSVs and a small self-contained HTML report.

The report renders the sections Track 2a returned (figures embedded as base64 PNG, tables as HTML, user
strings escaped); nothing is recomputed here.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd

from ..io import atomic_write_table
from ..report.section import Figure, Section, Table, Text


def write_outputs(result, root: Path) -> list[Path]:
    """``ate.csv``, ``positivity.csv``, ``balance.csv``, ``sensitivity.csv`` and ``propensity_models.csv``."""
    frames = {"ate": result.ate, "positivity": result.positivity_frame, "balance": result.balance,
              "sensitivity": result.sensitivity, "propensity_models": result.propensity.scores}
    return [atomic_write_table(df, root / f"{name}.csv") for name, df in frames.items()]


def _table_html(df: pd.DataFrame, max_rows: int) -> str:
    return df.head(max_rows).to_html(index=False, float_format=lambda v: f"{v:,.4g}", border=0, escape=True)


def _block(b, root: Path) -> dict:
    if isinstance(b, Text):
        return {"kind": "text", "html": b.html}
    if isinstance(b, Table):
        return {"kind": "table", "caption": b.caption, "html": _table_html(b.df, b.max_rows),
                "more": len(b.df) > b.max_rows, "rows": len(b.df), "shown": min(len(b.df), b.max_rows),
                "csv": str(b.csv) if b.csv else ""}
    if isinstance(b, Figure):
        data = base64.b64encode((root / b.path).read_bytes()).decode("ascii")
        return {"kind": "figure", "caption": b.caption, "data": data}
    raise TypeError(f"unknown report block {type(b).__name__}")


def render_report(sections: list[Section], root: Path, title: str, subtitle: str = "") -> Path:
    """Render ``sections`` into ``root/report.html`` with the package's causal template."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("segtarget", "report/templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    view = [{"key": s.key, "title": s.title, "method_note": s.method_note, "warnings": s.warnings,
             "blocks": [_block(b, root) for b in s.blocks]} for s in sections]
    html = env.get_template("causal_report.html.j2").render(title=title, subtitle=subtitle, sections=view)
    path = root / "report.html"
    path.write_text(html, encoding="utf-8")
    return path
