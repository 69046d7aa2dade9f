import pandas as pd

from segtarget.segments.strategy import PLAYS, strategy_table


def test_rules_priorities_order_and_playbook_columns():
    summary = pd.DataFrame({"segment": [0, 1, 2, 3, 4], "value_tier": ["High", "High", "Medium", "Low", "Low"],
                            "share": [0.2] * 5, "revenue_share": [0.4, 0.3, 0.2, 0.05, 0.05]})
    z = pd.DataFrame({"monetary_sales": [2.0, 0.9, 0.0, -1.0, -0.9], "recency": [0, 0, 0, 1.5, 0],
                      "purchase_regularity": [1, 0.2, -0.2, -1, -0.1], "monetary_avg_basket_sales": [0, 0, 0.8, 0, 0],
                      "share_health_beauty": [0, 0, 0, 1.2, 0]}, index=pd.Index(range(5), name="segment"))
    names = pd.DataFrame({"segment": range(5), "name": list("ABCDE")})
    t = strategy_table(summary, z, names, tentative={2}).set_index("segment")
    assert t["strategy"].to_dict() == {0: "Retention", 1: "Strengthen", 2: "Engage", 3: "Win-back", 4: "Activate"}
    assert t.loc[3, "priority"] == "Low"
    # the offer follows the behaviour that sets the segment apart (recency z=1.5 is larger than H&B 1.2)
    assert "reminder of past favourites" in t.loc[3, "key_actions"]
    assert "multi-buy bundles" in t.loc[2, "key_actions"]
    assert list(t.index[:2]) == [0, 1] and t["priority"].iloc[2] == "Medium"
    for s, row in t.iterrows():
        assert (row["objective"], row["offer_type"], row["channel"], row["kpi"]) == PLAYS[row["strategy"]]
    assert t["tentative"].to_dict() == {0: False, 1: False, 2: True, 3: False, 4: False}
