"""What a pipeline stage hands to the report.

Each stage returns one or more :class:`Section` objects. A section holds a short method note, a list of
blocks (tables, figures, text) already written to the output directory, the warnings a reader must see,
and ``headline`` numbers that the executive summary picks up. The report never recomputes anything: every
table and figure in it was written by the run that rendered it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

import pandas as pd


@dataclass(frozen=True)
class Table:
    """A table shown in the report; ``csv`` is its file relative to the run directory."""

    name: str
    df: pd.DataFrame
    caption: str
    csv: Path | None = None
    max_rows: int = 30


@dataclass(frozen=True)
class Figure:
    """A PNG figure relative to the run directory, embedded into the HTML."""

    name: str
    path: Path
    caption: str


@dataclass(frozen=True)
class Text:
    """A paragraph of trusted HTML written by the package (never user input)."""

    html: str


Block = Union[Table, Figure, Text]


@dataclass
class Section:
    """One report section, in reading order."""

    key: str
    title: str
    method_note: str
    blocks: list[Block] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    headline: dict[str, Any] = field(default_factory=dict)
