import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from segtarget.errors import SegtargetError
from segtarget.segments.model import SegmentModel, canonical_order
from segtarget.segments.synthetic import planted_households


@pytest.fixture(scope="module")
def planted():
    df, truth = planted_households(240, 3, seed=1)
    return df, truth, SegmentModel(n_factors=3, n_segments=3, random_state=0, n_init=4).fit(df)


def test_planted_segments_are_recovered(planted):
    df, truth, model = planted
    assert adjusted_rand_score(truth, model.labels_) > 0.9


def test_segments_numbered_largest_first(planted):
    _, _, model = planted
    sizes = np.bincount(model.labels_)
    assert list(sizes) == sorted(sizes, reverse=True)
    assert list(canonical_order(np.array([1, 1, 0, 2, 2, 2]), np.zeros((3, 2)))) == [2, 1, 0]


def test_same_seed_same_everything(planted):
    df, _, model = planted
    again = SegmentModel(n_factors=3, n_segments=3, random_state=0, n_init=4).fit(df)
    np.testing.assert_array_equal(model.labels_, again.labels_)
    assert model.names_.equals(again.names_)


def test_predict_on_training_rows_equals_labels(planted):
    df, _, model = planted
    np.testing.assert_array_equal(model.predict(df), model.labels_)


def test_save_load_assign_roundtrip(planted, tmp_path):
    df, _, model = planted
    model.save(tmp_path / "m")
    loaded = SegmentModel.load(tmp_path / "m")
    new = df.sample(40, random_state=0)
    a, b = model.assign(new), loaded.assign(new)
    assert list(a.columns) == ["household_id", "segment", "segment_name"]
    assert a.equals(b)


def test_assign_handles_missing_and_out_of_range_values(planted):
    df, _, model = planted
    new = df.head(5).copy()
    new.iloc[0, 1] = np.nan
    new.iloc[1, 2] = 1e6
    out = model.assign(new)
    assert out["segment"].between(0, 2).all()


def test_bad_input_names_the_column(planted):
    df, _, model = planted
    with pytest.raises(SegtargetError, match="share_fresh"):
        model.assign(df.drop(columns="share_fresh"))
    with pytest.raises(SegtargetError, match="household_id"):
        model.assign(df.drop(columns="household_id"))
    dup = df.head(3).copy()
    dup["household_id"] = 1
    with pytest.raises(SegtargetError, match="more than once"):
        model.assign(dup)
    with pytest.raises(SegtargetError, match="not fitted"):
        SegmentModel().predict(df)
    with pytest.raises(SegtargetError, match="kmeans_k"):
        SegmentModel(n_factors=2, n_segments=500).fit(df)


def test_load_missing_directory_is_a_user_error(tmp_path):
    with pytest.raises(SegtargetError, match="model directory"):
        SegmentModel.load(tmp_path)


def test_spec_carries_the_fit_knobs_from_config_to_refits(planted):
    from segtarget.segments.config import SegmentConfig, SegmentSpec
    from segtarget.segments.model import fit_core

    df, *_ = planted
    cfg = SegmentConfig(transform="quantile", skew_threshold=3.0, kmeans_n_init=2, nmf_max_iter=300)
    spec = SegmentSpec.from_config(cfg)
    assert spec == SegmentSpec("quantile", 3.0, 2, 300, False)
    m = SegmentModel(n_factors=3, n_segments=4, random_state=1, n_init=2, max_iter=300, scaling="quantile",
                     skew_threshold=3.0).fit(df)
    assert m.spec_ == spec  # what the bootstrap refits with is what the model was fit with
    parts = fit_core(df[list(m.features)].to_numpy(float), 3, 4, 1, m.spec_)
    np.testing.assert_array_equal(parts["order"][parts["kmeans"].labels_], m.labels_)
    with pytest.raises(SegtargetError, match=r"^segments\.transform must be one of"):
        SegmentSpec("loglog")
