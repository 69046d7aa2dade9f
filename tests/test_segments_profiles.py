import numpy as np
import pandas as pd
import pytest
from scipy.stats import f_oneway
from statsmodels.stats.multitest import multipletests

from segtarget.errors import SegtargetError
from segtarget.segments import profiles as P


@pytest.fixture
def frame():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], [30, 20, 10])
    df = pd.DataFrame({"household_id": np.arange(60), "monetary_sales": rng.gamma(2, 100, 60) + 300 * labels,
                       "share_fresh": rng.uniform(0, 1, 60), "flag": np.ones(60)})
    return df, labels


def test_zscore_is_standardised_difference_to_the_rest(frame):
    df, labels = frame
    z = P.zscore_table(df, labels, ["monetary_sales", "flag"])
    x = df["monetary_sales"]
    expected = (x[labels == 2].mean() - x[labels != 2].mean()) / x.std(ddof=1)
    assert z.loc[2, "monetary_sales"] == pytest.approx(expected)
    assert (z["flag"] == 0).all()


def test_anova_matches_scipy_and_holm(frame):
    df, labels = frame
    table = P.anova_table(df, labels, ["monetary_sales", "share_fresh"]).set_index("feature")
    F, p = f_oneway(*[df["monetary_sales"][labels == s] for s in range(3)])
    assert table.loc["monetary_sales", "F"] == pytest.approx(F)
    assert table.loc["monetary_sales", "p"] == pytest.approx(p)
    holm = multipletests(table["p"], method="holm")[1]
    np.testing.assert_allclose(table["p_holm"], holm)
    assert 0 < table.loc["monetary_sales", "eta2"] < 1


def test_summary_shares_tiers_and_dominant_factor(frame):
    df, labels = frame
    W = np.column_stack([labels == 0, labels == 2]).astype(float) + 0.1
    s = P.segment_summary(df, labels, W, ["F1", "F2"], "monetary_sales").set_index("segment")
    assert s["n"].tolist() == [30, 20, 10]
    assert s["revenue_share"].sum() == pytest.approx(1.0)
    assert s.loc[2, "value_tier"] == "High" and s.loc[0, "value_tier"] == "Low"
    assert s.loc[0, "dominant_factor"] == "F1" and s.loc[2, "dominant_factor"] == "F2"
    with pytest.raises(SegtargetError, match="revenue_feature"):
        P.segment_summary(df, labels, W, ["F1", "F2"], "sales")


def test_profile_long_has_every_segment_feature_pair(frame):
    df, labels = frame
    long = P.profile_long(df, labels, ["monetary_sales", "share_fresh"])
    assert len(long) == 6 and {"mean", "median", "sd", "z"} <= set(long.columns)
    row = long[(long["segment"] == 1) & (long["feature"] == "share_fresh")].iloc[0]
    assert row["median"] == pytest.approx(df["share_fresh"][labels == 1].median())
