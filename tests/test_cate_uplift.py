"""DR uplift/Qini areas (and their identity with RATE) and the reference's naive binned metrics."""

import numpy as np
import pytest

from segtarget.causal.cate.rate import evaluate_ranking
from segtarget.causal.cate.uplift import dr_uplift_curves, dr_uplift_summary, naive_binned_uplift


def test_dr_areas_equal_rate_without_ties():
    rng = np.random.default_rng(0)
    g, s = rng.normal(1, 2, 300), rng.normal(size=300)
    summ = dr_uplift_summary(g, s)
    ev = evaluate_ranking(g, s, n_boot=0)
    assert summ["auuc_dr"] - summ["auuc_dr_random"] == pytest.approx(ev.autoc.estimate)
    assert summ["qini_dr"] == pytest.approx(ev.qini.estimate)
    assert summ["auuc_dr_random"] == pytest.approx(g.mean())


def test_dr_curves_by_hand():
    g = np.array([0.0, 2.0, 3.0, 1.0])
    s = np.array([1.0, 2.0, 4.0, 3.0])
    c = dr_uplift_curves(g, s, grid=4)
    assert c["uplift"].tolist() == pytest.approx([3, 2, 2, 1.5])
    assert c["gain"].tolist() == pytest.approx([0.75, 1.0, 1.5, 1.5])
    assert c["gain_random"].tolist() == pytest.approx([0.375, 0.75, 1.125, 1.5])
    assert c["gain_perfect"].tolist() == pytest.approx([0.75, 1.25, 1.5, 1.5])
    # the perfect ordering bounds the normalised Qini by 1
    assert dr_uplift_summary(g, g)["qini_dr_normalised"] == pytest.approx(1.0)


def test_naive_binned_by_hand():
    # 10 units sorted by priority; two bins (f = 0.5, 1.0).
    Y = np.array([10, 0, 8, 1, 6, 2, 4, 3, 2, 1], float)
    T = np.array([1, 0, 1, 0, 1, 0, 1, 0, 1, 0])
    s = -np.arange(10.0)
    m, curve = naive_binned_uplift(Y, T, s, n_bins=2)
    top_u = np.mean([10, 8, 6]) - np.mean([0, 1])
    all_u = np.mean([10, 8, 6, 4, 2]) - np.mean([0, 1, 2, 3, 1])
    assert curve["uplift"].tolist() == pytest.approx([top_u, all_u])
    assert m["auuc_naive"] == pytest.approx(0.5 * (top_u + all_u) / 2)
    assert m["auuc_naive_random"] == pytest.approx(all_u * 0.5)
    q_top = 24 - 1 * 3 / 2
    q_all = 30 - 7
    assert curve["qini"].tolist() == pytest.approx([q_top, q_all])
    assert m["qini_naive"] == pytest.approx(0.5 * (q_top + q_all) / 2 - 0.5 * (0.5 * q_all + q_all) / 2)
