"""report/render.py: a synthetic run directory rendered into one self-contained report.html."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from segtarget.io import OutputDir
from segtarget.report.render import format_frame, format_number, money, percent, render_html, render_report
from segtarget.report.section import Figure, Section, Table, Text
from segtarget.report.summary import ExecutiveSummary

HOSTILE = "<script>alert('x')</script>"


def _figure(seed: int):
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.hist(rng.normal(size=200), bins=20, color="#1f5fae")
    ax.set_title(f"demo figure {seed}")
    return fig


def demo_summary() -> ExecutiveSummary:
    key = pd.DataFrame({
        "scenario": ["Target everyone", "Recommended: CATE > breakeven"],
        "n_targeted": [486, 150], "share": [1.0, 0.3086], "profit": [-4657.2, 2426.1],
        "profit_ci": [(-6100.0, -3200.5), (900.0, 3950.0)], "roi": [-0.753, 1.25],
        "roi_ci": [(-0.98, -0.52), (0.4, 2.1)], "method": ["DR (held-out)", "DR (held-out)"]})
    segments = pd.DataFrame({"segment": [0, 1], "name": ["Loyal Explorers", f"Fresh {HOSTILE}"],
                             "share": [0.55, 0.45], "revenue_share": [0.7, 0.3],
                             "strategy": ["Retain", "Grow basket"]})
    ate = {"purchase_amount": {"method": "AIPW", "estimand": "ATT", "estimate": 34.2,
                               "ci_lower": -12.5, "ci_upper": 80.9}}
    return ExecutiveSummary(
        key_results=key, improvement="+$7,083 profit vs targeting everyone (95% CI $4,100 to $9,900)",
        segments=segments, ate=ate,
        warnings=["Positivity: 83% of households have a propensity outside [0.1, 0.9]."],
        facts=[("Data source", "completejourney"), ("Households", "2,469")])


def build_demo_run(root: Path, n_sections: int = 3) -> tuple[list[Section], ExecutiveSummary, dict]:
    """A small run directory (tables + figures via OutputDir) and the sections describing it."""
    out = OutputDir(root)
    sections = []
    for i in range(n_sections):
        df = pd.DataFrame({"segment": np.arange(40), "mean_cate": np.linspace(-50.5, 80.25, 40),
                           "p_value": np.geomspace(1e-6, 0.9, 40), "label": [f"s{j}" for j in range(40)]})
        csv = out.table(f"demo_table_{i}", df)
        png = out.figure(f"demo_figure_{i}", _figure(i))
        sections.append(Section(
            key=f"demo-{i}", title=f"Demo section {i}", method_note=f"Method note {i} {HOSTILE}",
            blocks=[Text("<p>Trusted <em>package</em> text.</p>"),
                    Table(f"demo_table_{i}", df, caption=f"Demo table {i}", csv=csv, max_rows=10),
                    Figure(f"demo_figure_{i}", png, caption=f"Demo figure {i}")],
            warnings=[f"warning {i} {HOSTILE}"] if i == 1 else []))
    manifest = {"created": "2024-01-01T00:00:00", "seed": 42, "steps": {"features": 1.5, "segments": 3.0}}
    return sections, demo_summary(), manifest


@pytest.fixture
def demo(tmp_path):
    sections, summary, manifest = build_demo_run(tmp_path)
    return tmp_path, sections, summary, manifest


def test_report_is_self_contained_and_complete(demo):
    root, sections, summary, manifest = demo
    path = render_report(sections, root=root, summary=summary, manifest=manifest)
    html = path.read_text()
    assert path == root / "report.html"
    # every figure embedded, decodable PNG, no external asset or script
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == 3
    assert all(base64.b64decode(b)[:8] == b"\x89PNG\r\n\x1a\n" for b in images)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script" not in html.lower().replace("&lt;script", "")
    # TOC links every section; summary comes first
    for s in sections:
        assert f'href="#s-{s.key}"' in html and f'id="s-{s.key}"' in html
    assert html.index('id="summary"') < html.index('id="s-demo-0"')
    # CSV links point at existing files
    for href in re.findall(r'href="(tables/[^"]+)"', html):
        assert (root / href).is_file()


def test_data_is_escaped(demo):
    root, sections, summary, manifest = demo
    html = render_html(sections, root=root, summary=summary, manifest=manifest)
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(" in html
    assert "<em>package</em>" in html  # Text blocks are trusted package HTML


def test_tables_are_truncated_with_link_to_full_csv(demo):
    root, sections, summary, manifest = demo
    html = render_html(sections, root=root, summary=summary, manifest=manifest)
    table = html[html.index('id="s-demo-0-t-2"'):]
    table = table[:table.index("</table>")]
    assert table.count("<tr>") == 11  # header + max_rows
    assert "Showing 10 of 40 rows" in html and 'href="tables/demo_table_0.csv"' in html


def test_executive_summary_formats_money_percent_and_ci(demo):
    root, sections, summary, manifest = demo
    html = render_html(sections, root=root, summary=summary, manifest=manifest)
    head = html[html.index('id="summary"'):html.index('id="s-demo-0"')]
    for text in ("-$4,657", "$2,426", "[$900, $3,950]", "30.9%", "125.0%", "[-98.0%, -52.0%]",
                 "+$7,083 profit", "Positivity: 83%", "[-12.50, 80.90]", "Loyal Explorers", "2,469"):
        assert text in head, text
    assert 'class="recommended"' in head


def test_empty_section_is_rejected(tmp_path):
    empty = Section(key="cate", title="Heterogeneity", method_note="m")
    with pytest.raises(ValueError, match="'cate'.*no tables, figures or text"):
        render_report([empty], root=tmp_path, summary=ExecutiveSummary(), manifest={})
    assert not (tmp_path / "report.html").exists()


def test_missing_figure_or_csv_is_rejected(tmp_path):
    fig = Section(key="a", title="A", method_note="", blocks=[Figure("f", Path("figures/gone.png"), "x")])
    with pytest.raises(FileNotFoundError, match="figures/gone.png"):
        render_report([fig], root=tmp_path, summary=ExecutiveSummary(), manifest={})
    tab = Section(key="b", title="B", method_note="",
                  blocks=[Table("t", pd.DataFrame({"x": [1]}), "t", csv=Path("tables/gone.csv"))])
    with pytest.raises(FileNotFoundError, match="tables/gone.csv"):
        render_report([tab], root=tmp_path, summary=ExecutiveSummary(), manifest={})


def test_duplicate_section_keys_are_rejected(tmp_path):
    s = Section(key="x", title="X", method_note="", blocks=[Text("<p>a</p>")])
    with pytest.raises(ValueError, match="used twice"):
        render_html([s, s], root=tmp_path, summary=ExecutiveSummary(), manifest={})


def test_rerender_replaces_report_and_is_deterministic(demo):
    root, sections, summary, manifest = demo
    first = render_report(sections, root=root, summary=summary, manifest=manifest).read_bytes()
    second = render_report(sections, root=root, summary=summary, manifest=manifest).read_bytes()
    assert first == second
    assert [p.name for p in root.iterdir() if p.name.startswith(".report.")] == []


def test_number_formatting():
    assert format_number(1234567.891, 0) == "1,234,568"
    assert format_number(0.000123456, None) == "0.000123"
    assert format_number(float("nan"), 2) == "–"
    assert money(-4657.2) == "-$4,657" and money(12.727) == "$12.73"
    assert percent(0.3086) == "30.9%"
    cols, rows, numeric = format_frame(pd.DataFrame({
        "n": [1, 2000], "x": [1.5, 2.25], "p": [0.01234, 0.5], "ok": [True, False], "name": ["a", None]}))
    assert rows[1] == ["2,000", "2.25", "0.5", "no", "–"]
    assert rows[0][2] == "0.0123"
    assert numeric == [True, True, True, False, False]


def test_empty_summary_and_manifest_still_say_something(tmp_path):
    s = Section(key="only", title="Only", method_note="", blocks=[Text("<p>nothing else</p>")])
    html = render_html([s], root=tmp_path, summary=ExecutiveSummary(), manifest={})
    assert "produced no headline results" in html and "No run manifest was recorded" in html


def test_many_summary_warnings_fold_after_the_first_five(tmp_path):
    s = Section(key="only", title="Only", method_note="", blocks=[Text("<p>x</p>")])
    warnings = [f"warning number {i}" for i in range(8)]
    html = render_html([s], root=tmp_path, summary=ExecutiveSummary(warnings=warnings), manifest={})
    head, folded = html.split("3 more warnings")
    assert all(f"warning number {i}<" in head for i in range(5))
    assert all(f"warning number {i}<" in folded for i in range(5, 8))


def test_preformatted_number_columns_align_right():
    _, _, numeric = format_frame(pd.DataFrame({
        "money": ["$-47,968", "$16,708"], "pct": ["13.5%", "-2%"], "sci": ["3.471e+07", "0"],
        "pts": ["+4850 pts", "–"], "words": ["PolicyTree", "12 households"]}))
    assert numeric == [True, True, True, True, False]
