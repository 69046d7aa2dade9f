"""The first screen says what the CSVs say: verdict, assumption and key results, built from the results in memory
(the frame key_results.csv is written from), equal the CSV. The CLI's verdict line: tests/test_decision.py."""

from __future__ import annotations

import re
from html import unescape

import pandas as pd
import pytest

from segtarget.report.render import money, percent

pytestmark = pytest.mark.slow


def _text(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_first_screen_equals_the_csvs(small_run):
    root = small_run
    html = (root / "report.html").read_text()
    keys = pd.read_csv(root / "tables" / "key_results.csv")
    sentence = keys["verdict_sentence"].iloc[0]
    assert keys["verdict"].nunique() == 1 and sentence.lower().startswith(keys["verdict"].iloc[0].split(":")[0])
    # the verdict is the report's first sentence and the first line of targets.csv
    header = html[html.index("<header"):html.index("</header>")]
    first = re.search(r'<p class="verdict"[^>]*>(.*?)</p>', header, re.S)
    assert first and _text(first.group(1)) == " ".join(sentence.split())
    assert _text(header).split("segtarget report", 1)[1].strip().startswith(" ".join(sentence.split()))
    assert (root / "targets.csv").read_text().splitlines()[0] == f"# {sentence}"
    # the assumption and every key-results number on the first screen
    summary = html[html.index('id="summary"'):html.index("</section>", html.index('id="summary"'))]
    assert _text(f"Assumption: {keys['assumption'].iloc[0]}") in _text(summary)
    table = summary[summary.index('class="key-results"'):summary.index("</table>", summary.index('class="key-results"'))]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]
    assert len(rows) == len(keys)
    # only the row whose action the verdict names is highlighted (none when the verdict is a test)
    marked = [' class="recommended"' in tr for tr in re.findall(r"<tr[^>]*>", table)[1:]]
    assert marked == keys["follows_verdict"].astype(bool).tolist()
    assert sum(marked) == (keys["verdict"].iloc[0] in ("contact everyone", "target this group"))
    for row, (_, k) in zip(rows, keys.iterrows()):
        cells = [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        assert cells[0] == k["scenario"]
        assert cells[3] == money(k["profit"])
        assert cells[4] == f"[{money(k['ci_lower'])}, {money(k['ci_upper'])}]"
        if pd.notna(k["roi"]):  # an ROI is never shown without its CI
            assert cells[5] == percent(k["roi"]) and cells[6] == f"[{percent(k['roi_ci_lower'])}, {percent(k['roi_ci_upper'])}]"
    # the numbers the verdict sentence quotes are those of the CSV
    quoted = set(re.findall(r"-?\$[0-9,]+(?:\.[0-9]{2})?", sentence))
    csv_numbers = {f"{'-' if v < 0 else ''}${abs(v):,.0f}" for v in
                   pd.concat([keys["profit"], keys["ci_lower"], keys["ci_upper"]]).dropna()}
    ab = pd.read_csv(root / "tables" / "ab_decision_test.csv").iloc[0]
    csv_numbers |= {"$0"} | {f"{'-' if ab[k] < 0 else ''}${abs(ab[k]):,.2f}" for k in (
        "breakeven_with_discount", "caused_discount", "sized_profit_effect", "headline_profit_effect",
        "mde_profit_eligible", "mde_sales_eligible") if pd.notna(ab[k])}
    csv_numbers |= {f"{'-' if v < 0 else ''}${abs(v):,.2f}" for v in  # the bracket a gate in doubt quotes
                    keys[["bracket_profit_lower", "bracket_profit_upper"]].iloc[0].dropna()}
    refute = pd.read_csv(root / "tables" / "design_refutations.csv")  # the gate's reasons quote its two tables
    bracket = pd.read_csv(root / "tables" / "design_bracket.csv")
    csv_numbers |= {f"${abs(v):,.2f}" for v in pd.concat([refute["detectable"], bracket["lagged_att"]]).dropna()}
    assert quoted and quoted <= csv_numbers
    if sentence.startswith("Inconclusive"):  # the test it asks for, with the numbers of ab_decision_test.csv
        assert f"needs {int(ab['n_treatment']):,} contacted + {int(ab['n_control']):,} control" in sentence
        if not ab["feasible"]:
            tag = "headline" if ab["sized_for"] == "headline estimate" else "planning"
            assert f"more than the {int(ab['eligible_households']):,} eligible households" in sentence
            assert f"has {ab[f'power_{tag}_eligible']:.0%} power" in sentence
    # the first screen counts the listed households outside the study population (already mailed)
    targets = pd.read_csv(root / "targets.csv", comment="#")
    out = int((~targets["in_study_population"].astype(bool)).sum())
    assert f"{len(targets):,} current households scored in targets.csv; {out:,} (" in _text(summary)
    assert (targets.loc[~targets["in_study_population"].astype(bool), "decision"] == "test first").all()
    assert len(targets) - out == ab["eligible_households"]  # the A/B plan's eligible households are the list's
    # and the A/B assignment randomises exactly those households, once each
    assign = pd.read_csv(root / "tables" / "ab_assignment.csv")
    eligible = set(targets.loc[targets["in_study_population"].astype(bool), "household_id"])
    assert assign["household_id"].is_unique and set(assign["household_id"]) == eligible
    # the improvement box is coloured by its own CI: green only when the whole CI is above 0
    g = keys.iloc[-1]
    box = re.search(r'<p class="callout (good|neutral|bad)" id="improvement">(.*?)</p>', summary, re.S)
    assert box, "the improvement box is missing from the first screen"
    tone = "good" if g["ci_lower"] > 0 else "bad" if g["ci_upper"] < 0 else "neutral"
    assert box.group(1) == tone
    assert f"${abs(g['profit']):,.0f}" in _text(box.group(2)) and f"${abs(g['ci_lower']):,.0f}" in _text(box.group(2))


def test_the_verdict_reads_the_gate_and_its_reasons_are_the_tables_numbers(small_run):
    """The gate rows of design_refutations.csv decide: a gate in doubt names a failed or weak check whose
    numbers are those of the table, and never leads to "target this group"."""
    root = small_run
    keys = pd.read_csv(root / "tables" / "key_results.csv")
    sentence, verdict = keys["verdict_sentence"].iloc[0], keys["verdict"].iloc[0]
    ref = pd.read_csv(root / "tables" / "design_refutations.csv")
    gate = ref[ref["role"] == "gate"]
    assert {"check", "trial", "passed", "detectable", "r2_on_covariates"} <= set(ref.columns)
    assert set(gate["trial"].astype(str)) >= {"pooled"}
    assert gate["r2_on_covariates"].dropna().lt(0.9).all()  # the gate's placebos are tests, not covariates
    failed = gate[(gate["passed"].astype(str) == "False") & gate["check"].str.startswith("backcast")]
    if not failed.empty:
        assert verdict != "target this group"
        if verdict == "inconclusive: run this test":
            assert "fails in" in sentence
            for r in failed.itertuples():  # every failed row is named with its estimate and CI
                where = "pooled" if str(r.trial) == "pooled" else f"trial {r.trial}"
                assert f"{where} ({r.estimate:+,.2f} a week, 95% CI {r.ci_lower:+,.2f} to {r.ci_upper:+,.2f})" in sentence
