import numpy as np
import pandas as pd
import pytest

from segtarget.errors import SegtargetError
from segtarget.segments import naming as N


def _z(rows):
    cols = ["monetary_sales", "recency", "purchase_regularity", "frequency", "share_fresh",
            "share_health_beauty", "monetary_avg_basket_sales"]
    return pd.DataFrame([[r.get(c, 0.0) for c in cols] for r in rows], columns=cols).rename_axis("segment")


def _names(z):
    summary = pd.DataFrame({"segment": z.index, "dominant_factor": "F1"})
    factors = pd.DataFrame({"factor": ["F1"], "top_feature": ["share_grocery"]})
    return N.automatic_names(z, summary, factors, "monetary_sales").set_index("segment")


def test_rules_produce_readable_names_with_reasons():
    z = _z([{"monetary_sales": 2.0, "frequency": 1.8},
            {"recency": 1.5, "share_health_beauty": 2.0},
            {"monetary_avg_basket_sales": 1.2},
            {"monetary_sales": -0.8, "share_fresh": 1.0},
            {}])
    names = _names(z)
    assert names["auto_name"].tolist() == ["VIP Heavy", "Lapsed H&B", "Bulk Shoppers", "Light Fresh", "Grocery Shoppers"]
    assert "monetary_sales z=+2.00 >= +1.50" in names.loc[0, "reason"]
    assert "dominant factor" in names.loc[4, "reason"]


def test_clashing_names_are_widened():
    z = _z([{"share_fresh": 1.0, "frequency": 0.6}, {"share_fresh": 0.9, "share_health_beauty": 0.5}])
    names = _names(z)["auto_name"].tolist()
    assert names == ["Fresh & Heavy Shoppers", "Fresh & H&B Shoppers"]
    same = _names(_z([{"share_fresh": 1.0}, {"share_fresh": 1.0}]))["auto_name"].tolist()
    assert same == ["Fresh Shoppers (0)", "Fresh Shoppers (1)"]


def test_overrides_by_id_and_by_auto_name(tmp_path):
    auto = pd.DataFrame({"segment": [0, 1], "auto_name": ["VIP Heavy", "Light Fresh"], "reason": ["a", "b"]})
    csv = tmp_path / "names.csv"
    pd.DataFrame({"segment": ["Light Fresh"], "name": ["Fresh Lovers"]}).to_csv(csv, index=False)
    out = N.apply_overrides(auto, N.parse_overrides(("0=Top Customers",), str(csv)))
    assert out["name"].tolist() == ["Top Customers", "Fresh Lovers"]
    assert out.loc[1, "reason"].startswith("override of 'Light Fresh'")
    with pytest.raises(SegtargetError, match="matches no segment"):
        N.apply_overrides(auto, {"9": "Ghost"})
    with pytest.raises(SegtargetError, match="segments.names"):
        N.parse_overrides(("no equals sign",))


def test_factor_names_from_top_loadings():
    H = np.array([[0.1, 5.0, 3.0, 0.0], [2.0, 0.0, 0.0, 1.0]])
    feats = ("share_fresh", "share_grocery", "discount_usage_pct", "share_health_beauty")
    f = N.factor_names(H, feats)
    assert f["name"].tolist() == ["Grocery/Deal", "Fresh/H&B"]
    assert f["top_loadings"].iloc[0].startswith("share_grocery 5.00")
