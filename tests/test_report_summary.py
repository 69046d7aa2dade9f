"""report/summary.py: the executive summary contract and its collection from section headlines."""

from __future__ import annotations

import pandas as pd
import pytest

from segtarget.report.section import Section, Text
from segtarget.report.summary import ExecutiveSummary, collect_warnings, summary_from_sections


def _section(key, warnings=(), **headline):
    return Section(key=key, title=key, method_note="", blocks=[Text("<p>x</p>")],
                   warnings=list(warnings), headline=headline)


def test_columns_are_checked():
    with pytest.raises(ValueError, match="key_results lacks"):
        ExecutiveSummary(key_results=pd.DataFrame({"scenario": ["a"]}))
    with pytest.raises(ValueError, match="segments lacks"):
        ExecutiveSummary(segments=pd.DataFrame({"segment": [0]}))
    with pytest.raises(ValueError, match=r"ate\['y'\] lacks"):
        ExecutiveSummary(ate={"y": {"method": "AIPW"}})


def test_is_empty_and_frames():
    assert ExecutiveSummary().is_empty
    s = ExecutiveSummary(ate={"y": {"method": "AIPW", "estimand": "ATE", "estimate": 1.0,
                                    "ci_lower": 0.5, "ci_upper": 1.5}}, facts=[("Households", "10")])
    assert not s.is_empty
    assert s.ate_frame().loc[0, "outcome"] == "y"
    frame = s.summary_frame()
    assert list(frame.columns) == ["item", "value"]
    assert "1.00 [0.50, 1.50]" in frame["value"].tolist()


def test_warnings_ordered_by_priority_then_section_order_without_duplicates():
    sections = [
        _section("segments", ["few households per segment"]),
        _section("design", ["positivity violated", "balance poor"], warning_priority=1,
                 summary_warnings=["positivity violated"]),
        _section("cate", ["refutation failed", "few households per segment"], warning_priority=5),
    ]
    assert collect_warnings(sections) == ["positivity violated", "refutation failed", "few households per segment"]


def test_summary_from_sections_takes_first_headline_of_each_kind():
    key = pd.DataFrame({"scenario": ["Target everyone"], "n_targeted": [10], "share": [1.0], "profit": [-1.0],
                        "profit_ci": [(-2.0, 0.0)], "roi": [-0.1], "roi_ci": [(-0.2, 0.0)], "method": ["DR"]})
    sections = [_section("a", facts=[("Period", "2017")]), _section("policy", key_results=key, improvement="+$1"),
                _section("later", improvement="ignored")]
    s = summary_from_sections(sections, facts=[("Source", "cj")], extra_warnings=["pipeline note"])
    assert s.key_results is key and s.improvement == "+$1"
    assert s.facts == [("Source", "cj"), ("Period", "2017")]
    assert s.warnings == ["pipeline note"]


def test_triangulation_sentence_reaches_the_first_screen(tmp_path):
    from segtarget.report.render import render_report

    sentence = "Triangulation, purchase_amount over the campaign window: doubly robust ATT +$39 & more."
    sections = [_section("event_study", triangulation=sentence), _section("later", triangulation="ignored")]
    s = summary_from_sections(sections)
    assert s.triangulation == sentence
    assert ("triangulation", sentence) in set(map(tuple, s.summary_frame().to_numpy()))
    html = render_report([Section("x", "X", "note", [Text("<p>x</p>")])], root=tmp_path, summary=s,
                         manifest={}).read_text()
    assert "doubly robust ATT +$39 &amp; more." in html
    assert "triangulation" not in ExecutiveSummary().summary_frame()["item"].tolist()
