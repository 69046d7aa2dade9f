"""causal/triangulation.py: same scale, the tested difference of the two designs, and every claim of the sentence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segtarget.causal.event.difference import DesignDifference
from segtarget.causal.event.triangulation import treated_window_weeks, triangulation_sentence, triangulation_table

ATE = pd.DataFrame([
    {"outcome": "purchase_amount", "method": "naive", "estimand": "ATE", "estimate": 120.0, "std_error": 20.0,
     "ci_lower": 80.8, "ci_upper": 159.2, "n": 2000},
    {"outcome": "purchase_count", "method": "naive", "estimand": "ATE", "estimate": 9.0, "std_error": 1.0,
     "ci_lower": 7.0, "ci_upper": 11.0, "n": 2000},
])
HEAD = {"method": "att", "estimand": "ATT", "estimate": 30.0, "std_error": 10.0, "ci_lower": 10.4,
        "ci_upper": 49.6, "n": 2000}


def _es(est, se):
    return {"estimate": est, "std_error": se, "ci_lower": est - 1.96 * se, "ci_upper": est + 1.96 * se, "n": 1900}


def test_event_study_is_put_on_the_window_total_scale():
    tri = triangulation_table(ATE, HEAD, _es(5.0, 1.0), outcome="purchase_amount", treated_weeks=6.0)
    es = tri.set_index("method").loc["event_study"]
    assert es["estimate"] == pytest.approx(30.0) and es["std_error"] == pytest.approx(6.0)
    assert es["ci_lower"] == pytest.approx(30 - 1.96 * 6) and "x 6.00 weeks" in es["note"]
    assert tri["scale"].unique().tolist() == ["window total"]
    assert tri["leads_report"].tolist() == [True, False, False]
    naive = tri.set_index("method").loc["naive"]
    assert naive["estimate"] == 120.0  # the purchase_amount row, not purchase_count
    per_week = triangulation_table(ATE, HEAD, _es(5.0, 1.0), outcome="purchase_amount", treated_weeks=6.0,
                                   outcome_scale="per week")
    assert per_week.set_index("method").loc["event_study", "estimate"] == pytest.approx(5.0)
    with pytest.raises(ValueError, match="outcome_scale"):
        triangulation_table(ATE, HEAD, _es(5.0, 1.0), outcome="purchase_amount", treated_weeks=6.0,
                            outcome_scale="monthly")


def _diff(est, se, p):
    return DesignDifference(estimate=est, std_error=se, ci_lower=est - 1.96 * se, ci_upper=est + 1.96 * se,
                            p_value=p, detectable=2.8 * se, households=1500, draws=2000, method="household bootstrap")


def test_difference_row_and_the_sentence_say_what_the_test_says():
    tri = triangulation_table(ATE, HEAD, _es(5.0, 1.0), outcome="purchase_amount", treated_weeks=6.0,
                              difference=_diff(0.0, 9.0, 1.0))
    assert tri["method"].tolist() == ["att", "event_study", "naive", "difference"]
    d = tri.iloc[3]
    assert d["ci_lower"] == pytest.approx(-17.64) and d["p_value"] == 1.0 and d["n"] == 1500
    assert "2000 draws over 1,500 households" in d["note"] and "detectable difference" in d["note"]
    assert tri.loc[0, "p_value"] == pytest.approx(0.0027, abs=1e-4)  # the estimate rows: p of "no effect"
    same = triangulation_sentence(tri, "purchase_amount")
    assert "doubly robust ATT +$30 (95% CI +$10 to +$50)" in same
    assert "event-study DiD +$30 (95% CI +$18 to +$42)" in same
    assert "naive difference +$120" in same
    assert "show no detectable difference ($0, 95% CI -$18 to +$18, p = 1.000; the test could detect $25" in same
    assert "overlap" not in same and "agree" not in same
    assert same.endswith("The report leads with the doubly-robust estimate.")
    apart = triangulation_sentence(triangulation_table(ATE, HEAD, _es(-5.0, 1.0), outcome="purchase_amount",
                                                       treated_weeks=6.0, difference=_diff(60.0, 12.0, 6e-7)),
                                   "purchase_amount")
    assert "differ by +$60 (95% CI +$36 to +$84, p < 0.001" in apart and "pre-trend" in apart
    assert "-$30" in apart
    # CIs that overlap are not agreement: the correlated difference can still be significant
    close = triangulation_table(ATE, HEAD, _es(3.0, 1.0), outcome="purchase_amount", treated_weeks=6.0,
                                difference=_diff(12.0, 4.0, 0.0027))
    assert close.loc[0, "ci_lower"] <= close.loc[1, "ci_upper"]
    assert "differ by +$12" in triangulation_sentence(close, "purchase_amount")
    untested = triangulation_sentence(triangulation_table(ATE, HEAD, _es(5.0, 1.0), outcome="purchase_amount",
                                                          treated_weeks=6.0), "purchase_amount")
    assert "were not tested against each other" in untested


def test_a_failed_pre_trend_test_voids_the_comparison():
    tri = triangulation_table(ATE, HEAD, _es(5.0, 1.0), outcome="purchase_amount", treated_weeks=6.0,
                              pretrend_p=0.0004)
    assert "pre-trend test p < 0.001" in tri.loc[1, "note"]
    s = triangulation_sentence(tri, "purchase_amount", pretrend_p=0.0004)
    assert "cannot be compared" in s and "(p < 0.001)" in s and "difference (" not in s
    ok = triangulation_sentence(triangulation_table(ATE, HEAD, _es(5.0, 1.0), outcome="purchase_amount",
                                                    treated_weeks=6.0, pretrend_p=0.4,
                                                    difference=_diff(0.0, 9.0, 1.0)), "purchase_amount", 0.4)
    assert "no detectable difference" in ok


def test_estimand_mismatch_is_stated():
    ato = HEAD | {"estimand": "ATO", "method": "ato"}
    s = triangulation_sentence(triangulation_table(ATE, ato, _es(5.0, 1.0), outcome="purchase_amount",
                                                   treated_weeks=6.0), "purchase_amount")
    assert "the headline is the ATO, the event study the ATT" in s
    att = HEAD | {"estimand": "ATT (effect on the treated)"}
    assert "note:" not in triangulation_sentence(triangulation_table(ATE, att, _es(5.0, 1.0), outcome="purchase_amount",
                                                                    treated_weeks=6.0), "purchase_amount")


def test_treated_weeks():
    units = pd.DataFrame({"treated": [1, 1, 0], "outcome_weeks": [6.0, 4.0, 1.0]})
    assert treated_window_weeks(units) == 5.0


def test_a_missing_naive_row_is_said_not_a_crash():
    tri = triangulation_table(ATE[ATE.outcome != "purchase_amount"], HEAD, _es(5.0, 1.0), outcome="purchase_amount",
                              treated_weeks=6.0)
    assert tri.loc[2, "estimand"] == "not in the ATE table" and np.isnan(tri.loc[2, "estimate"])
    assert "naive difference not available" in triangulation_sentence(tri, "purchase_amount")
