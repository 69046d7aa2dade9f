"""Household features: hand computations on a tiny fixture, loader agreement, the reference's own values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fixtures_retail import write_canonical, write_dunnhumby
from segtarget.data import load_source
from segtarget.errors import SegtargetError
from segtarget.features import FEATURE_NAMES, compute_features, describe


@pytest.fixture(scope="module")
def fixture_features(tmp_path_factory):
    root = write_canonical(tmp_path_factory.mktemp("canon"))
    return compute_features(load_source(f"tables:{root}")).set_index("household_id")


def test_hand_computed_household_1(fixture_features):
    f = fixture_features.loc[1]
    # purchase days Jan 2, 5, 12 -> gaps 3 and 7; data's last day is Jan 12
    assert f.recency == 0 and f.frequency == 3 and f.transaction_count == 4
    assert f.days_between_purchases_avg == pytest.approx(5.0)
    assert f.days_between_purchases_std == pytest.approx(2.0)
    # Monday-start weeks: Jan 2 and 5 share a week, Jan 12 is the next -> tenure 2 weeks, both with purchases
    assert f.weeks_with_purchase == 2 and f.purchase_regularity == pytest.approx(1.0)
    assert f.frequency_per_week == pytest.approx(1.5)
    assert f.monetary_sales == pytest.approx(14.0) and f.monetary_actual == pytest.approx(13.0)
    assert f.monetary_avg_basket_sales == pytest.approx(14 / 3)
    assert f.monetary_std == pytest.approx(np.std([7.0, 2.0, 5.0], ddof=1))
    assert f.coupon_savings_ratio == pytest.approx(1 / 14)
    assert f.discount_rate == pytest.approx(2.5 / 16.5)
    assert f.discount_usage_pct == pytest.approx(2 / 4) and f.private_label_ratio == pytest.approx(1 / 4)
    assert f.n_departments == 3 and f.n_products == 3
    assert f.avg_items_per_basket == pytest.approx(5 / 3)
    assert (f.share_grocery, f.share_fresh, f.share_bakery) == pytest.approx((6 / 14, 3 / 14, 5 / 14))
    assert f.week_coverage == pytest.approx(1.0)


def test_hand_computed_household_2_single_visit_and_unknown_product(fixture_features):
    f = fixture_features.loc[2]
    assert f.recency == 9 and f.frequency == 1 and f.transaction_count == 2  # the quantity-0 line is dropped
    # one purchase day / one basket: the undefined spreads are 0 by the reference convention
    assert f.days_between_purchases_avg == 0 and f.monetary_std == 0
    assert f.share_alcohol == pytest.approx(10 / 11) and f.share_other == pytest.approx(1 / 11)
    assert f.discount_usage_pct == 0  # the unknown product has no brand: not in the denominator


def test_missing_values_can_stay_missing(tmp_path):
    f = compute_features(load_source(f"tables:{write_canonical(tmp_path)}"), fill_missing=False).set_index("household_id")
    assert np.isnan(f.loc[2, "days_between_purchases_avg"]) and np.isnan(f.loc[2, "monetary_std"])


def test_original_csv_and_canonical_layouts_give_identical_features(tmp_path):
    a = compute_features(load_source(f"tables:{write_canonical(tmp_path / 'c')}"))
    b = compute_features(load_source(f"dunnhumby:{write_dunnhumby(tmp_path / 'd')}"))
    c = compute_features(load_source(f"tables:{write_canonical(tmp_path / 'csv', fmt='csv')}"))
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    pd.testing.assert_frame_equal(a, c, check_dtype=False)


def test_window_and_window_end_reference(tmp_path):
    t = load_source(f"tables:{write_canonical(tmp_path)}")
    f = compute_features(t, end="2017-01-06", reference_point="window_end").set_index("household_id")
    assert f.loc[1, "frequency"] == 2 and f.loc[1, "recency"] == 0  # last purchase Jan 5 = end - 1 day
    assert f.loc[2, "recency"] == 2
    with pytest.raises(SegtargetError, match="after start"):
        compute_features(t, start="2017-02-01", end="2017-01-01")
    with pytest.raises(SegtargetError, match="no usable transactions"):
        compute_features(t, start="2018-01-01")


def test_dictionary_covers_every_feature():
    d = describe()
    assert set(FEATURE_NAMES) <= set(d["name"]) and d["formula"].str.len().min() > 5
    assert len(FEATURE_NAMES) == 33 and d["in_reduced_19"].sum() == 19


@pytest.mark.slow
def test_embedded_data_matches_reference_features(embedded):
    ref = pd.read_parquet(Path(__file__).parent / "data" / "track1_features_reference.parquet")
    ref = ref.rename(columns={"household_key": "household_id"}).set_index("household_id").sort_index()
    ours = compute_features(embedded, exposure=False, auxiliary=True).set_index("household_id").sort_index()
    assert len(ours) == len(ref) == 2469
    for col in ref.columns:
        np.testing.assert_allclose(ours[col].to_numpy(float), ref[col].to_numpy(float), rtol=1e-9, atol=1e-9,
                                   err_msg=col)


@pytest.mark.slow
def test_features_are_byte_identical_across_runs(tmp_path):
    """Money is summed exactly, so thread scheduling cannot change the last bits of any feature."""
    from segtarget.data import connect
    from segtarget.io import atomic_write_table

    blobs = []
    for i in range(3):
        tables = load_source("completejourney", con=connect(threads=2))
        path = atomic_write_table(compute_features(tables), tmp_path / f"f{i}.parquet")
        blobs.append(path.read_bytes())
    assert blobs[0] == blobs[1] == blobs[2]
