"""Positivity diagnostics and the overlap-aware headline rule."""

import numpy as np
import pandas as pd
import pytest

from segtarget.causal.ate.headline import headline_method, mark_headline
from segtarget.causal.config import AteConfig
from segtarget.causal.ate.positivity import (crump_threshold, ess, positivity_report, smd, support_coverage)


def test_smd_and_ess_by_hand():
    x = np.array([1.0, 2.0, 3.0, 0.0, 1.0, 2.0])
    T = np.array([1, 1, 1, 0, 0, 0])
    assert smd(x, T) == pytest.approx((2 - 1) / 1.0)  # both arms have sample variance 1
    w = np.array([1, 1, 2, 1, 1, 1.0])
    assert smd(x, T, w) == pytest.approx((9 / 4 - 1) / 1.0)
    assert ess(np.array([1.0, 1.0, 2.0])) == pytest.approx(16 / 6)


def test_crump_threshold():
    assert crump_threshold(np.full(100, 0.5)) == 0.0
    e = np.concatenate([np.full(900, 0.5), np.full(100, 0.01)])
    alpha = crump_threshold(e)
    gamma = 1 / (alpha * (1 - alpha))
    assert gamma == pytest.approx(2 * 4.0)  # gamma = 2 E[g | g <= gamma], and E[g | e = 0.5] = 4
    assert 0.01 < alpha < 0.5  # the extreme units are trimmed, the rest kept


def test_support_coverage_detects_one_sided_overlap():
    T = np.array([1] * 10 + [0] * 30)
    e = np.concatenate([np.linspace(0.3, 0.7, 10), np.linspace(0.3, 0.7, 10), np.full(20, 0.001)])
    cov_t, cov_c = support_coverage(T, e, caliper_sd=0.2)
    assert cov_t == 1.0 and cov_c == pytest.approx(10 / 30)  # 20 controls have no treated twin


def test_positivity_report_counts_and_verdict():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    T = rng.binomial(1, 0.5, 400)
    e = np.full(400, 0.5)
    rep = positivity_report(X, T, e, clip=0.01, band=0.05, caliper_sd=0.2, min_coverage=0.9)
    assert rep.summary["share_in_10_90"] == 1.0 and rep.summary["crump_alpha"] == 0.0
    assert rep.verdict.startswith("Overlap is adequate")
    assert set(rep.balance.columns) >= {"covariate", "smd_unweighted", "smd_ipw", "smd_overlap"}


@pytest.mark.parametrize("share,above,ess,expected", [
    (0.95, 0.5, 1.0, "aipw"),  # two-sided overlap wins whatever the ATT diagnostics
    (0.5, 0.05, 500.0, "att"),  # treated covered, many effective controls
    (0.5, 0.20, 10.0, "att"),  # exactly at both thresholds
    (0.5, 0.25, 500.0, "ato"),  # too many treated without comparable controls
    (0.5, 0.0, 9.0, "ato"),  # a handful of controls would carry the ATT
])
def test_headline_ladder(share, above, ess, expected):
    s = {"share_in_band": share, "treated_share_above_band": above, "ess_att_control": ess}
    method, reason = headline_method(s, AteConfig())
    assert method == expected and "Population:" in reason


def test_headline_thresholds_are_config_keys():
    s = {"share_in_band": 0.5, "treated_share_above_band": 0.15, "ess_att_control": 60.0}
    assert headline_method(s, AteConfig())[0] == "att"
    assert headline_method(s, AteConfig(att_max_treated_above=0.10))[0] == "ato"
    assert headline_method(s, AteConfig(att_min_control_ess=100))[0] == "ato"


def test_mark_headline_marks_exactly_one_row():
    t = pd.DataFrame({"method": ["aipw", "aipw_trim", "ato"], "trim": [0.0, 0.1, 0.0]})
    assert mark_headline(t, "ato")["default"].tolist() == [False, False, True]
    with pytest.raises(RuntimeError):
        mark_headline(t, "att")
