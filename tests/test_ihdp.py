"""IHDP (Hill 2011 surface B): the default zoo and selection rule against the known effect."""

import pytest

from segtarget.causal.validation.ihdp import ihdp_benchmark, ihdp_summary, load_ihdp


def test_ihdp_loader():
    Y, T, X, tau = load_ihdp(0)
    assert len(Y) == len(T) == len(X) == len(tau) == 747
    assert set(T) == {0, 1} and X.shape[1] == 26


@pytest.mark.slow
def test_selected_model_sqrt_pehe_on_five_replications():
    # Published out-of-sample anchors: BART 2.3, causal forest 3.8 (Shalit et al. 2017).
    res = ihdp_benchmark(5, seed=0, n_jobs=-1)
    assert res.groupby("replication")["selected"].sum().eq(1).all()
    selected = res.loc[res["selected"], "sqrt_pehe"].mean()
    assert selected <= 1.5, ihdp_summary(res).to_string()
