"""Loaders: the embedded data's known counts, the three sources, and clear errors on bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from fixtures_retail import canonical_frames, write_canonical, write_dunnhumby
from segtarget.data import load_source
from segtarget.errors import SegtargetError


def test_embedded_counts(embedded):
    n, hh, baskets, sales = embedded.con.execute(
        "SELECT count(*), count(DISTINCT household_id), count(DISTINCT basket_id), round(sum(sales_value), 2) "
        "FROM transactions").fetchall()[0]
    assert (n, hh, baskets, sales) == (1_469_307, 2_469, 155_848, 4_596_039.58)
    assert embedded.con.execute("SELECT count(*) FROM campaigns").fetchall()[0][0] == 27
    q = embedded.quality.set_index("check")["rows"]
    assert q["product_id not in products"] == 4_836 and q["quantity <= 0 (returns, adjustments)"] == 8_869


def test_embedded_local_dates_and_weeks(embedded):
    # local dates: the first basket of 2017-01-01 UTC 11:53 is 06:53 in New York, same day; week = WEEK_NO
    first, last, w_min, w_max = embedded.con.execute(
        "SELECT min(date), max(date), min(week), max(week) FROM transactions").fetchall()[0]
    assert str(first) == "2017-01-01" and str(last) == "2017-12-31" and (w_min, w_max) == (41, 93)
    types = dict(embedded.con.execute("SELECT campaign_type, count(*) FROM campaigns GROUP BY 1").fetchall())
    assert types == {"A": 4, "B": 17, "C": 6}


def test_dunnhumby_layout_maps_signs_and_departments(tmp_path):
    t = load_source(f"dunnhumby:{write_dunnhumby(tmp_path)}")
    assert t.con.execute("SELECT min(retail_disc), min(coupon_disc) FROM transactions").fetchall()[0] == (0.0, 0.0)
    depts = {r[0] for r in t.con.execute("SELECT department FROM products").fetchall()}
    assert "FUEL" in depts and "KIOSK-GAS" not in depts and "GROCERY" in depts
    assert t.con.execute("SELECT campaign_type FROM campaigns").fetchall() == [("A",)]


def test_quality_table_counts_drops(tmp_path):
    q = load_source(f"tables:{write_canonical(tmp_path)}").quality.set_index("check")["rows"]
    assert q["quantity <= 0 (returns, adjustments)"] == 1 and q["product_id not in products"] == 1


def test_promotion_quality_counts_duplicate_keys_the_transactions_meet(tmp_path):
    from segtarget.data.validate import promotion_quality, run_quality

    met = load_source(f"tables:{write_canonical(tmp_path / 'a')}").con.execute(
        "SELECT product_id, store_id, week FROM clean_transactions LIMIT 1").fetchall()[0]
    promos = pd.DataFrame([(*met, "1", "0"), (*met, "A", "D"), (*met, "2", "0"),  # one key met, three rows
                           (999_999, 1, 50, "1", "0"), (999_999, 1, 50, "2", "0")],  # duplicated, never met
                          columns=["product_id", "store_id", "week", "display", "mailer"])
    t = load_source(f"tables:{write_canonical(tmp_path / 'b', promotions=promos)}")
    row = promotion_quality(t.con).iloc[0]
    assert row["table"] == "promotions" and row["rows"] == 1 and "met by transactions" in row["check"]
    # the run's data-quality table has the row exactly when it computes exposure features from promotions
    with_promotions = run_quality(t, exposure=True)
    assert with_promotions.iloc[-1].equals(row) and len(with_promotions) == len(t.quality) + 1
    assert run_quality(t, exposure=False) is t.quality
    plain = load_source(f"tables:{tmp_path / 'a'}")
    assert run_quality(plain, exposure=True) is plain.quality


@pytest.mark.parametrize("spec, message", [
    ("nonsense", "not recognised"),
    ("tables:/does/not/exist", "not a directory"),
    ("dunnhumby:/does/not/exist", "not a directory"),
])
def test_bad_source(spec, message):
    with pytest.raises(SegtargetError, match=message):
        load_source(spec)


def test_missing_file_and_column(tmp_path):
    root = write_canonical(tmp_path / "a")
    (root / "products.parquet").unlink()
    with pytest.raises(SegtargetError, match="products.parquet.*not found"):
        load_source(f"tables:{root}")
    tx = canonical_frames()["transactions"].drop(columns=["sales_value"])
    root = write_canonical(tmp_path / "b", transactions=tx)
    with pytest.raises(SegtargetError, match="missing column 'sales_value'"):
        load_source(f"tables:{root}")


def test_wrong_type_duplicate_key_empty(tmp_path):
    tx = canonical_frames()["transactions"].astype({"quantity": object})
    tx.loc[0, "quantity"] = "two"
    with pytest.raises(SegtargetError, match="column 'quantity' has value 'two'"):
        load_source(f"tables:{write_canonical(tmp_path / 'a', fmt='csv', transactions=tx)}")
    products = canonical_frames()["products"]
    with pytest.raises(SegtargetError, match="duplicate key"):
        load_source(f"tables:{write_canonical(tmp_path / 'b', products=pd.concat([products, products.head(1)]))}")
    with pytest.raises(SegtargetError, match="empty"):
        load_source(f"tables:{write_canonical(tmp_path / 'c', transactions=canonical_frames()['transactions'].head(0))}")


def test_bad_campaign_rows(tmp_path):
    camps = canonical_frames()["campaigns"].assign(campaign_type="Z")
    with pytest.raises(SegtargetError, match="campaign_type"):
        load_source(f"tables:{write_canonical(tmp_path / 'a', campaigns=camps)}")
    camps = canonical_frames()["campaigns"].assign(end_date=pd.Timestamp("2016-01-01"))
    with pytest.raises(SegtargetError, match="ends before it starts"):
        load_source(f"tables:{write_canonical(tmp_path / 'b', campaigns=camps)}")
