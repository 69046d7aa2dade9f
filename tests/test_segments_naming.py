import numpy as np
import pandas as pd
import pytest

from segtarget.errors import SegtargetError
from segtarget.segments import naming as N


def _z(rows):
    cols = ["monetary_sales", "recency", "purchase_regularity", "frequency", "share_fresh",
            "share_health_beauty", "monetary_avg_basket_sales"]
    return pd.DataFrame([[r.get(c, 0.0) for c in cols] for r in rows], columns=cols).rename_axis("segment")


def _names(z, tiers):
    summary = pd.DataFrame({"segment": z.index, "value_tier": tiers, "revenue_median": 100.0,
                            "revenue_share": 1 / len(tiers)})
    return N.automatic_names(z, summary, "monetary_sales").set_index("segment")


def test_value_tier_times_distinguishing_behaviour_with_reasons():
    z = _z([{"monetary_sales": 2.0, "frequency": 1.8, "share_fresh": 0.5},
            {"recency": 1.5, "share_health_beauty": 1.2},
            {"monetary_avg_basket_sales": 1.2},
            {"monetary_sales": -0.8, "recency": -0.9},
            {}])
    names = _names(z, ["High", "Low", "Medium", "Low", "Medium"])
    assert names["auto_name"].tolist() == ["High-Value Frequent", "Low-Value Lapsing", "Mid-Value Big-Basket",
                                           "Low-Value Recent", "Mid-Value Mainstream"]
    # spend is the tier's job: monetary_sales z=2.0 never becomes the behaviour word
    assert "frequency z=+1.80" in names.loc[0, "reason"] and "value tier High" in names.loc[0, "reason"]
    assert "recency z=-0.90 -> 'Recent'" in names.loc[3, "reason"]


def test_names_are_unique_widened_then_numbered():
    z = _z([{"share_fresh": 1.0, "frequency": 0.6}, {"share_fresh": 0.9, "share_health_beauty": 0.5}])
    assert _names(z, ["High", "High"])["auto_name"].tolist() == ["High-Value Fresh & Frequent",
                                                                 "High-Value Fresh & H&B"]
    same = _names(_z([{"share_fresh": 1.0}, {"share_fresh": 1.0}, {}]), ["Low", "Low", "Low"])["auto_name"]
    assert same.tolist() == ["Low-Value Fresh (0)", "Low-Value Fresh (1)", "Low-Value Mainstream"]
    assert same.is_unique


def test_overrides_by_id_and_by_auto_name(tmp_path):
    auto = pd.DataFrame({"segment": [0, 1], "auto_name": ["High-Value Frequent", "Low-Value Fresh"],
                         "reason": ["a", "b"]})
    csv = tmp_path / "names.csv"
    pd.DataFrame({"segment": ["Low-Value Fresh"], "name": ["Fresh Lovers"]}).to_csv(csv, index=False)
    out = N.apply_overrides(auto, N.parse_overrides(("0=Top Customers",), str(csv)))
    assert out["name"].tolist() == ["Top Customers", "Fresh Lovers"]
    assert out.loc[1, "reason"].startswith("override of 'Low-Value Fresh'")
    with pytest.raises(SegtargetError, match="matches no segment"):
        N.apply_overrides(auto, {"9": "Ghost"})
    with pytest.raises(SegtargetError, match="segments.names"):
        N.parse_overrides(("no equals sign",))
    with pytest.raises(SegtargetError, match="unique"):
        N.apply_overrides(auto, {"0": "Same", "1": "Same"})


def test_factor_names_from_top_loadings():
    H = np.array([[0.1, 5.0, 3.0, 0.0], [2.0, 0.0, 0.0, 1.0]])
    feats = ("share_fresh", "share_grocery", "discount_usage_pct", "share_health_beauty")
    f = N.factor_names(H, feats)
    assert f["name"].tolist() == ["Grocery/Deal", "Fresh/H&B"]
    assert f["top_loadings"].iloc[0].startswith("share_grocery 5.00")
