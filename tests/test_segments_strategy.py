import pandas as pd

from segtarget.segments.strategy import strategy_table


def test_rules_priorities_and_order():
    summary = pd.DataFrame({"segment": [0, 1, 2, 3, 4], "value_tier": ["High", "High", "Medium", "Low", "Low"],
                            "share": [0.2] * 5, "revenue_share": [0.4, 0.3, 0.2, 0.05, 0.05]})
    z = pd.DataFrame({"monetary_sales": [2.0, 0.9, 0.0, -1.0, -0.9], "recency": [0, 0, 0, 1.5, 0],
                      "purchase_regularity": [1, 0.5, -0.2, -1, -0.5], "monetary_avg_basket_sales": [0, 0, 0.8, 0, 0],
                      "share_health_beauty": [0, 0, 0, 1.2, 0]}, index=pd.Index(range(5), name="segment"))
    names = pd.DataFrame({"segment": range(5), "name": list("ABCDE")})
    t = strategy_table(summary, z, names, "monetary_sales").set_index("segment")
    assert t["strategy"].to_dict() == {0: "Retention", 1: "Strengthen", 2: "Regularize", 3: "Win-back", 4: "Activate"}
    assert t.loc[3, "priority"] == "Low" and "health & beauty offers" in t.loc[3, "key_actions"]
    assert list(t.index[:2]) == [0, 1] and t["priority"].iloc[2] == "Medium"
