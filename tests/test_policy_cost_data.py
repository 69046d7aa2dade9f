import duckdb
import pandas as pd
import pytest

from segtarget.policy.cost_data import cost_table, typea_pool_coupon_disc


class _Tables:
    """The two canonical views the cost table reads, on an in-memory DuckDB."""

    def __init__(self):
        self.con = duckdb.connect()
        self.con.execute("CREATE TABLE campaigns AS SELECT * FROM (VALUES (1, 'A'), (2, 'B')) v(campaign_id, campaign_type)")
        self.con.execute("CREATE TABLE coupons AS SELECT * FROM (VALUES ('u1', 100, 1), ('u2', 200, 2)) "
                         "v(coupon_upc, product_id, campaign_id)")
        self.con.execute("""CREATE TABLE clean_transactions AS SELECT * FROM (VALUES
            (1, 100, 2.0), (1, 100, 0.0), (1, 200, 5.0), (2, 200, 3.0), (3, 100, 1.5)) v(household_id, product_id, coupon_disc)""")

    def has(self, view):
        return True


def test_typea_pool_sums_only_typea_coupon_products():
    df = typea_pool_coupon_disc(_Tables(), [1, 2, 3, 4]).set_index("household_id")
    assert df.loc[1, "ever_typeA_pool_coupon_disc"] == pytest.approx(2.0)  # product 200 is a TypeB coupon
    assert df.loc[2, "ever_typeA_pool_coupon_disc"] == 0
    assert df.loc[3, "ever_typeA_pool_coupon_disc"] == pytest.approx(1.5)
    assert df.loc[4, "ever_typeA_pool_coupon_disc"] == 0


def test_cost_table_from_cohort_columns():
    cohort = pd.DataFrame({"household_id": [1, 2, 3], "treated": [1, 0, 1], "coupon_disc_index": [0.5, 0, 0],
                           "other": [9, 9, 9]})
    out = cost_table(_Tables(), cohort)
    assert list(out.columns) == ["household_id", "treated", "index_campaign_coupon_disc",
                                 "ever_typeA_pool_coupon_disc"]
    assert out["ever_typeA_pool_coupon_disc"].tolist() == pytest.approx([2.0, 0.0, 1.5])
