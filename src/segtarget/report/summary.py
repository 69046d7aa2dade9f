"""The executive summary: the few numbers a reader needs before any method.

:class:`ExecutiveSummary` is what the first screen of ``report.html`` shows. The pipeline either builds it
directly or lets :func:`summary_from_sections` collect it from the ``headline`` dictionaries that the
stages put on their :class:`~segtarget.report.section.Section` objects.

Headline keys a stage may set (all optional; the first section that sets a key wins):

- ``key_results``: DataFrame with the :data:`KEY_RESULT_COLUMNS` (one row per targeting scenario).
- ``verdict`` / ``assumption``: the decision sentence (shown first) and the economics it assumes.
- ``improvement``: one sentence in plain words, e.g. "+$7,083 profit vs targeting everyone (95% CI ...)".
- ``segments``: DataFrame with the :data:`SEGMENT_COLUMNS` (one row per segment).
- ``ate``: ``{outcome: {"method", "estimand", "estimate", "ci_lower", "ci_upper"}}``.
- ``facts``: list of ``(label, value)`` string pairs (data source, households, period, ...).
- ``triangulation``: one sentence comparing the doubly-robust, event-study and naive effects.
- ``summary_warnings``: the warnings of that section that belong on the first screen (default: all of
  the section's ``warnings``).
- ``warning_priority``: integer, lower = shown earlier (default 50). Positivity and refutation
  failures should use a low number: they decide whether the causal numbers can be trusted at all.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable

import pandas as pd

from .section import Section

# share and roi are fractions (0.25 = 25 %); profit is in outcome units (dollars of sales_value, after
# margin and contact cost); *_ci are (lower, upper) 95 % intervals or a preformatted string.
KEY_RESULT_COLUMNS = ("scenario", "n_targeted", "share", "profit", "profit_ci", "roi", "roi_ci", "method")
# share = share of households, revenue_share = share of total sales_value (both fractions).
SEGMENT_COLUMNS = ("segment", "name", "share", "revenue_share", "strategy")
ATE_KEYS = ("method", "estimand", "estimate", "ci_lower", "ci_upper")
DEFAULT_WARNING_PRIORITY = 50


def _check_columns(df: pd.DataFrame | None, need: tuple[str, ...], what: str) -> None:
    if df is None:
        return
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"ExecutiveSummary.{what} must be a DataFrame or None, got {type(df).__name__}")
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"ExecutiveSummary.{what} lacks column(s) {missing}; expected {list(need)}")


@dataclass(frozen=True)
class ExecutiveSummary:
    """What the first screen of the report says.

    ``key_results`` compares targeting scenarios (rows: scenario, n_targeted, share, profit, profit_ci,
    roi, roi_ci, method); ``improvement`` states the gain of the recommended policy in words;
    ``segments`` lists the Track 1 segments; ``ate`` maps each outcome to its headline average
    treatment effect with a 95 % CI; ``warnings`` are plain-words caveats, most important first;
    ``facts`` are short label/value pairs about the data and the run.
    """

    key_results: pd.DataFrame | None = None
    improvement: str | None = None
    segments: pd.DataFrame | None = None
    ate: dict | None = None
    warnings: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    triangulation: str | None = None  # DR vs event study vs naive, one sentence (causal/triangulation.py)
    verdict: str | None = None  # the decision in one sentence: the report's first sentence
    assumption: str | None = None  # the economic assumptions the verdict rests on, with how to change them
    # Colour of the improvement box: "good" only when its 95% CI lies above 0, "bad" when below, else
    # "neutral" (a green box around a gain whose CI spans 0 would claim what the numbers do not).
    improvement_tone: str = "neutral"

    def __post_init__(self) -> None:
        if self.improvement_tone not in ("good", "neutral", "bad"):
            raise ValueError(f"ExecutiveSummary.improvement_tone={self.improvement_tone!r}; use good, neutral or bad")
        _check_columns(self.key_results, KEY_RESULT_COLUMNS, "key_results")
        _check_columns(self.segments, SEGMENT_COLUMNS, "segments")
        for outcome, row in (self.ate or {}).items():
            missing = [k for k in ATE_KEYS if k not in row]
            if missing:
                raise ValueError(f"ExecutiveSummary.ate[{outcome!r}] lacks {missing}; expected {list(ATE_KEYS)}")

    @property
    def is_empty(self) -> bool:
        """True when there is no result at all to put on the first screen."""
        return (self.key_results is None and self.improvement is None and self.segments is None
                and not self.ate and not self.warnings and not self.facts and not self.verdict)

    def ate_frame(self) -> pd.DataFrame:
        """The ATE headline as a table: outcome, method, estimand, estimate, ci_lower, ci_upper."""
        rows = [{"outcome": outcome, **{k: row[k] for k in ATE_KEYS}} for outcome, row in (self.ate or {}).items()]
        return pd.DataFrame(rows, columns=["outcome", *ATE_KEYS])

    def summary_frame(self) -> pd.DataFrame:
        """Long table (item, value) of everything on the first screen, for the manifest or a CSV."""
        rows = [{"item": "verdict", "value": self.verdict}] if self.verdict else []
        if self.assumption:
            rows.append({"item": "assumption", "value": self.assumption})
        rows += [{"item": label, "value": value} for label, value in self.facts]
        if self.improvement:
            rows.append({"item": "improvement", "value": self.improvement})
        for r in self.ate_frame().itertuples(index=False):
            rows.append({"item": f"ATE {r.outcome} ({r.estimand}, {r.method})",
                         "value": f"{_num(r.estimate)} [{_num(r.ci_lower)}, {_num(r.ci_upper)}]"})
        if self.triangulation:
            rows.append({"item": "triangulation", "value": self.triangulation})
        if self.key_results is not None:
            for r in self.key_results.itertuples(index=False):
                rows.append({"item": f"profit: {r.scenario}", "value": _num(r.profit)})
        rows += [{"item": "warning", "value": w} for w in self.warnings]
        return pd.DataFrame(rows, columns=["item", "value"])


def _num(x: Any) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    return "nan" if math.isnan(v) else f"{v:,.2f}"


def _first(sections: Iterable[Section], key: str) -> Any:
    for s in sections:
        if s.headline.get(key) is not None:
            return s.headline[key]
    return None


def collect_warnings(sections: Iterable[Section]) -> list[str]:
    """Summary warnings of all sections: by ``warning_priority`` (stable), duplicates dropped."""
    ranked: list[tuple[int, int, str]] = []
    for order, s in enumerate(sections):
        chosen = s.headline.get("summary_warnings", s.warnings)
        prio = int(s.headline.get("warning_priority", DEFAULT_WARNING_PRIORITY))
        ranked += [(prio, order, w) for w in chosen]
    seen: set[str] = set()
    out = []
    for _, _, w in sorted(ranked, key=lambda t: (t[0], t[1])):
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def summary_from_sections(sections: list[Section], facts: list[tuple[str, str]] | None = None,
                          extra_warnings: list[str] | None = None) -> ExecutiveSummary:
    """Build the executive summary from the sections' ``headline`` keys (see the module docstring).

    ``facts`` given here come first, followed by any ``facts`` the sections contribute;
    ``extra_warnings`` (e.g. from the pipeline itself) are shown before the sections' warnings.
    """
    all_facts = list(facts or [])
    for s in sections:
        all_facts += [tuple(f) for f in s.headline.get("facts", [])]
    warnings = list(extra_warnings or []) + collect_warnings(sections)
    return ExecutiveSummary(
        key_results=_first(sections, "key_results"),
        improvement=_first(sections, "improvement"),
        segments=_first(sections, "segments"),
        ate=_first(sections, "ate"),
        warnings=list(dict.fromkeys(warnings)),
        facts=all_facts,
        triangulation=_first(sections, "triangulation"),
        verdict=_first(sections, "verdict_sentence"),
        assumption=_first(sections, "assumption"),
    )
