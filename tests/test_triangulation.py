"""causal/triangulation.py: same scale, agreement by CI overlap, and every claim of the sentence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segtarget.causal.event.triangulation import (cis_overlap, treated_window_weeks, triangulation_sentence,
                                            triangulation_table)

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


def test_sentence_agree_and_disagree():
    agree = triangulation_sentence(triangulation_table(ATE, HEAD, _es(5.0, 1.0), outcome="purchase_amount",
                                                       treated_weeks=6.0), "purchase_amount")
    assert "doubly robust ATT +$30 (95% CI +$10 to +$50)" in agree
    assert "event-study DiD +$30 (95% CI +$18 to +$42)" in agree
    assert "naive difference +$120" in agree
    assert "agree (their 95% CIs overlap)" in agree and "weak check" not in agree
    assert agree.endswith("The report leads with the doubly-robust estimate.")
    apart = triangulation_sentence(triangulation_table(ATE, HEAD, _es(-5.0, 1.0), outcome="purchase_amount",
                                                       treated_weeks=6.0), "purchase_amount")
    assert "disagree" in apart and "pre-trend" in apart and "−$30" in apart
    weak = triangulation_sentence(triangulation_table(ATE, HEAD | {"ci_lower": -5.0}, _es(5.0, 4.0),
                                                      outcome="purchase_amount", treated_weeks=6.0), "purchase_amount")
    assert "weak check" in weak


def test_a_failed_pre_trend_test_voids_the_comparison():
    tri = triangulation_table(ATE, HEAD, _es(5.0, 1.0), outcome="purchase_amount", treated_weeks=6.0,
                              pretrend_p=0.0004)
    assert "pre-trend test p < 0.001" in tri.loc[1, "note"]
    s = triangulation_sentence(tri, "purchase_amount", pretrend_p=0.0004)
    assert "cannot be compared" in s and "(p < 0.001)" in s and "agree (" not in s
    ok = triangulation_sentence(triangulation_table(ATE, HEAD, _es(5.0, 1.0), outcome="purchase_amount",
                                                    treated_weeks=6.0, pretrend_p=0.4), "purchase_amount", 0.4)
    assert "agree (their 95% CIs overlap)" in ok


def test_estimand_mismatch_is_stated():
    ato = HEAD | {"estimand": "ATO", "method": "ato"}
    s = triangulation_sentence(triangulation_table(ATE, ato, _es(5.0, 1.0), outcome="purchase_amount",
                                                   treated_weeks=6.0), "purchase_amount")
    assert "the headline is the ATO, the event study the ATT" in s
    att = HEAD | {"estimand": "ATT (effect on the treated)"}
    assert "note:" not in triangulation_sentence(triangulation_table(ATE, att, _es(5.0, 1.0), outcome="purchase_amount",
                                                                    treated_weeks=6.0), "purchase_amount")


def test_overlap_and_weeks():
    a = pd.Series({"ci_lower": 0.0, "ci_upper": 1.0})
    assert cis_overlap(a, pd.Series({"ci_lower": 1.0, "ci_upper": 2.0}))
    assert not cis_overlap(a, pd.Series({"ci_lower": 1.01, "ci_upper": 2.0}))
    units = pd.DataFrame({"treated": [1, 1, 0], "outcome_weeks": [6.0, 4.0, 1.0]})
    assert treated_window_weeks(units) == 5.0


def test_a_missing_naive_row_is_said_not_a_crash():
    tri = triangulation_table(ATE[ATE.outcome != "purchase_amount"], HEAD, _es(5.0, 1.0), outcome="purchase_amount",
                              treated_weeks=6.0)
    assert tri.loc[2, "estimand"] == "not in the ATE table" and np.isnan(tri.loc[2, "estimate"])
    assert "naive difference not available" in triangulation_sentence(tri, "purchase_amount")
