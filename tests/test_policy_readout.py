import numpy as np
import pandas as pd
import pytest
from scipy import stats

from segtarget.errors import SegtargetError
from segtarget.policy.readout import check_experiment, difference_in_means, readout


def _experiment(n=400, seed=0):
    rng = np.random.default_rng(seed)
    pre = rng.gamma(2, 50, n)
    t = rng.binomial(1, 0.5, n)
    y = 1.2 * pre + 20 * t + rng.normal(0, 40, n)
    return pd.DataFrame({"treat": t, "sales": y, "pre": pre, "seg": rng.choice(["A", "B"], n)})


def test_difference_in_means_matches_welch_t_test():
    df = _experiment()
    est = difference_in_means(df["sales"], df["treat"])
    ref = stats.ttest_ind(df.loc[df.treat == 1, "sales"], df.loc[df.treat == 0, "sales"], equal_var=False)
    assert est.p_value == pytest.approx(ref.pvalue)
    assert est.estimate / est.se == pytest.approx(ref.statistic)
    ci = ref.confidence_interval(0.95)
    assert est.ci_lower == pytest.approx(ci.low) and est.ci_upper == pytest.approx(ci.high)


def test_cuped_estimate_by_hand_and_more_precise():
    df = _experiment()
    res = readout(df, treatment="treat", outcome="sales", pre="pre", segment="seg", cost=3.0, margin=0.3)
    y, x, t = df["sales"].to_numpy(), df["pre"].to_numpy(), df["treat"].to_numpy()
    theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
    adj = y - theta * (x - x.mean())
    cuped = res.estimates.set_index("method").loc["cuped"]
    assert cuped["theta"] == pytest.approx(theta)
    assert cuped["estimate"] == pytest.approx(adj[t == 1].mean() - adj[t == 0].mean())
    dim = res.estimates.set_index("method").loc["difference_in_means"]
    assert cuped["se"] < dim["se"] and 0 < cuped["variance_reduction"] < 1
    assert cuped["ci_lower"] < 20 < cuped["ci_upper"]
    assert set(res.segments["segment"]) == {"A", "B"} and len(res.segments) == 4
    prof = res.profit.set_index("method").loc["cuped"]
    assert prof["profit_per_contact"] == pytest.approx(0.3 * cuped["estimate"] - 3.0)
    assert prof["roi"] == pytest.approx(prof["profit_per_contact"] / 3.0)


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.assign(treat=d["treat"] * 2), "binary"),
    (lambda d: d.assign(sales=d["sales"].where(d.index != 3, np.nan)), "missing"),
    (lambda d: d.assign(sales=d["sales"].where(d.index != 3, np.inf)), "infinite"),
    (lambda d: d.assign(treat=1), "control arm"),
    (lambda d: d.assign(sales=5.0), "constant"),
    (lambda d: d.drop(columns="pre"), "column 'pre'"),
])
def test_bad_experiments_raise_one_line_errors(mutate, message):
    with pytest.raises(SegtargetError, match=message) as err:
        check_experiment(mutate(_experiment(50)), treatment="treat", outcome="sales", pre="pre", source="x.csv")
    assert "\n" not in str(err.value) and "x.csv" in str(err.value)


def test_bad_cost_and_margin_are_rejected():
    with pytest.raises(SegtargetError, match="--margin"):
        readout(_experiment(50), treatment="treat", outcome="sales", cost=1.0, margin=1.5)
