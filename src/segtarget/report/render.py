"""Render report sections into one self-contained ``report.html``.

The file needs nothing but itself: figures are embedded as base64 data URIs, the CSS is inline, there is
no script and no external asset. Every table and figure must already exist below ``root`` (written by the
run that renders the report), so the report can never show a stale or missing artefact: a missing file
or a section without content raises instead of producing a silently incomplete report.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .format import MISSING, interval, money, percent
from .format import is_missing as _is_missing
from .section import Figure, Section, Table, Text
from .summary import ExecutiveSummary

TEMPLATE = "report.html.j2"
IMAGE_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
MAX_LISTED_FILES = 400
# The first screen shows this many summary warnings (most important first); the rest fold into a details box.
SUMMARY_WARNINGS_SHOWN = 5


# ---------------------------------------------------------------------------------------------- numbers
def _decimals(values: list[float]) -> int | None:
    """Decimals for a numeric column: 0 for integers or large magnitudes, 2 for ordinary numbers,
    ``None`` (= 3 significant digits per value) when every value is below 1 in magnitude."""
    finite = [abs(v) for v in values if math.isfinite(v)]
    if not finite:
        return 2
    if all(float(v).is_integer() for v in finite) or max(finite) >= 1000:
        return 0
    return 2 if max(finite) >= 1 else None


def format_number(v: float, decimals: int | None) -> str:
    """One number as text: thousands separators, fixed decimals, or 3 significant digits."""
    if math.isnan(v):
        return MISSING
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if decimals is None:
        return "0" if v == 0 else f"{v:.3g}"
    return f"{v:,.{decimals}f}"


def _format_cell(v: Any, decimals: int | None) -> str:
    if _is_missing(v):
        return MISSING
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        return format_number(float(v), decimals)
    if isinstance(v, (tuple, list, np.ndarray)) and len(v) == 2:
        return "[" + ", ".join(_format_cell(x, _decimals([float(x) for x in v if _is_real(x)])) for x in v) + "]"
    if isinstance(v, (pd.Timestamp, _dt.datetime)):
        return v.strftime("%Y-%m-%d") if v == v.normalize() else v.strftime("%Y-%m-%d %H:%M")
    return str(v)


def _is_real(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


_NUMBER_TEXT = re.compile(r"^[-+−]?\$?[-+−]?[\d,]*\.?\d+(e[-+]?\d+)?\s*(%|pts)?$", re.IGNORECASE)


def _looks_numeric(cells: list[str]) -> bool:
    """Text cells that are all numbers (a stage pre-formatted them, e.g. "$1,234" or "12.5%")."""
    filled = [c for c in cells if c not in ("", MISSING)]
    return bool(filled) and all(_NUMBER_TEXT.match(c.strip()) for c in filled)


def format_frame(df: pd.DataFrame) -> tuple[list[str], list[list[str]], list[bool]]:
    """Column names, formatted rows and a per-column "is numeric" flag (numbers align right)."""
    columns = [str(c) for c in df.columns]
    numeric, formatted = [], []
    for c in df.columns:
        col = df[c]
        is_num = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        dec = _decimals([float(x) for x in col if _is_real(x)]) if is_num else 2
        cells = [_format_cell(v, dec) for v in col.tolist()]
        numeric.append(is_num or _looks_numeric(cells))
        formatted.append(cells)
    rows = [list(r) for r in zip(*formatted)] if formatted else []
    return columns, rows, numeric


# ---------------------------------------------------------------------------------------------- blocks
@dataclass(frozen=True)
class _Block:
    kind: str  # table | figure | text
    name: str = ""
    caption: str = ""
    columns: tuple = ()
    rows: tuple = ()
    numeric: tuple = ()
    n_rows: int = 0
    csv: str = ""
    src: str = ""
    file: str = ""
    html: str = ""


def _relative_file(root: Path, path: Path, section: Section, what: str) -> str:
    rel = Path(path)
    full = rel if rel.is_absolute() else root / rel
    if not full.is_file():
        raise FileNotFoundError(f"report section '{section.key}': {what} {rel} does not exist below {root}; "
                                "every figure and table must be written by the run that renders the report")
    try:
        return full.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise ValueError(f"report section '{section.key}': {what} {full} lies outside the run directory "
                         f"{root}") from None


def _table_block(t: Table, root: Path, section: Section) -> _Block:
    shown = t.df.head(t.max_rows)
    columns, rows, numeric = format_frame(shown)
    csv = _relative_file(root, t.csv, section, "table") if t.csv is not None else ""
    return _Block("table", name=t.name, caption=t.caption, columns=tuple(columns),
                  rows=tuple(tuple(r) for r in rows), numeric=tuple(numeric), n_rows=len(t.df), csv=csv)


def _figure_block(f: Figure, root: Path, section: Section) -> _Block:
    rel = _relative_file(root, f.path, section, "figure")
    suffix = Path(rel).suffix.lower()
    if suffix not in IMAGE_TYPES:
        raise ValueError(f"report section '{section.key}': figure {rel} must be one of {sorted(IMAGE_TYPES)}")
    data = (root / rel).read_bytes()
    if not data:
        raise ValueError(f"report section '{section.key}': figure {rel} is empty")
    src = f"data:{IMAGE_TYPES[suffix]};base64," + base64.b64encode(data).decode("ascii")
    return _Block("figure", name=f.name, caption=f.caption, src=src, file=rel)


def _blocks(section: Section, root: Path) -> list[_Block]:
    out = []
    for b in section.blocks:
        if isinstance(b, Table):
            out.append(_table_block(b, root, section))
        elif isinstance(b, Figure):
            out.append(_figure_block(b, root, section))
        elif isinstance(b, Text):
            out.append(_Block("text", html=b.html))
        else:
            raise TypeError(f"report section '{section.key}': unknown block {type(b).__name__}")
    return out


def _slug(key: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", str(key).lower()).strip("-")
    return f"s-{slug or 'section'}"


def _prepare_sections(sections: list[Section], root: Path) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for s in sections:
        if not s.blocks:
            raise ValueError(f"report section '{s.key}' ({s.title}) has no tables, figures or text; "
                             "a stage that produced nothing must say why in a Text block")
        sid = _slug(s.key)
        if sid in seen:
            raise ValueError(f"report section key '{s.key}' is used twice; section keys must be unique")
        seen.add(sid)
        blocks = _blocks(s, root)
        csvs = [b.csv for b in blocks if b.kind == "table" and b.csv]
        out.append({"id": sid, "key": s.key, "title": s.title, "method_note": s.method_note,
                    "warnings": list(s.warnings), "blocks": blocks, "csvs": list(dict.fromkeys(csvs))})
    return out


# ---------------------------------------------------------------------------------------------- summary
def _summary_context(summary: ExecutiveSummary) -> dict[str, Any]:
    ctx: dict[str, Any] = {"verdict": summary.verdict, "assumption": summary.assumption,
                           "facts": [(str(a), str(b)) for a, b in summary.facts],
                           "improvement": summary.improvement, "improvement_tone": summary.improvement_tone,
                           "warnings": list(summary.warnings),
                           "triangulation": summary.triangulation,
                           "key_results": None, "segments": None, "ate": None, "empty": summary.is_empty}
    if summary.key_results is not None:
        ctx["key_results"] = [{
            "scenario": str(r.scenario),
            "recommended": bool(getattr(r, "follows_verdict", str(r.scenario).lower().startswith("recommended"))),
            "n_targeted": _format_cell(r.n_targeted, 0), "share": percent(r.share),
            "profit": money(r.profit), "profit_ci": interval(r.profit_ci, money), "roi": percent(r.roi),
            "roi_ci": interval(r.roi_ci, percent), "method": "" if _is_missing(r.method) else str(r.method),
        } for r in summary.key_results.itertuples(index=False)]
    if summary.segments is not None:
        ctx["segments"] = [{
            "segment": _format_cell(r.segment, 0), "name": str(r.name), "share": percent(r.share),
            "revenue_share": percent(r.revenue_share), "strategy": "" if _is_missing(r.strategy) else str(r.strategy),
        } for r in summary.segments.itertuples(index=False)]
    if summary.ate:
        frame = summary.ate_frame()
        ctx["ate"] = [{
            "outcome": str(r.outcome), "method": str(r.method), "estimand": str(r.estimand),
            "estimate": format_number(float(r.estimate), 2),
            "ci": f"[{format_number(float(r.ci_lower), 2)}, {format_number(float(r.ci_upper), 2)}]",
        } for r in frame.itertuples(index=False)]
    return ctx


# ---------------------------------------------------------------------------------------------- manifest
def _manifest_context(manifest: dict) -> dict[str, Any]:
    """Scalars as label/value rows, nested values as pretty JSON."""
    scalars, nested = [], []
    for k, v in (manifest or {}).items():
        if isinstance(v, (dict, list, tuple)):
            nested.append((str(k), json.dumps(v, indent=2, default=str, sort_keys=False)))
        else:
            scalars.append((str(k), MISSING if _is_missing(v) else str(v)))
    return {"scalars": scalars, "nested": nested}


def _output_files(root: Path) -> list[dict[str, Any]]:
    """Every file the run wrote (hidden and temporary files excluded), grouped by folder."""
    groups: dict[str, list[str]] = {}
    files = sorted(p for p in root.rglob("*") if p.is_file() and not any(
        part.startswith(".") for part in p.relative_to(root).parts) and p.name != "report.html")
    for p in files[:MAX_LISTED_FILES]:
        rel = p.relative_to(root)
        groups.setdefault(rel.parent.as_posix() if rel.parent != Path(".") else ".", []).append(rel.as_posix())
    out = [{"folder": k, "files": v} for k, v in groups.items()]
    if len(files) > MAX_LISTED_FILES:
        out.append({"folder": f"... and {len(files) - MAX_LISTED_FILES} more files", "files": []})
    return out


# ---------------------------------------------------------------------------------------------- render
def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("segtarget.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(sections: list[Section], *, root: Path, summary: ExecutiveSummary, manifest: dict,
                title: str = "segtarget report") -> str:
    """The report as an HTML string (see :func:`render_report`)."""
    from .. import __version__

    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"report root {root} is not a directory")
    context = {
        "title": title, "version": __version__, "summary": _summary_context(summary),
        "sections": _prepare_sections(list(sections), root), "manifest": _manifest_context(manifest),
        "outputs": _output_files(root),
        "created": str(manifest.get("created", "")) if manifest else "",
        "summary_warnings_shown": SUMMARY_WARNINGS_SHOWN,
    }
    return _environment().get_template(TEMPLATE).render(**context)


def render_report(sections: list[Section], *, root: Path, summary: ExecutiveSummary, manifest: dict,
                  title: str = "segtarget report") -> Path:
    """Write ``root/report.html``: executive summary, then every section in order, then run details.

    Raises ``ValueError`` for a section without blocks or a duplicated section key, and
    ``FileNotFoundError`` for a figure or table CSV that is not below ``root``. The file is written
    atomically (temporary file + rename).
    """
    root = Path(root)
    html = render_html(sections, root=root, summary=summary, manifest=manifest, title=title)
    target = root / "report.html"
    fd, tmp = tempfile.mkstemp(prefix=".report.", suffix=".html", dir=root)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(html)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the report is meant to be shared
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
