import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import MinMaxScaler

from segtarget.errors import SegtargetError
from segtarget.segments.featureset import (ALL_FEATURES, REDUCED_FEATURES, check_feature_table, resolve_features,
                                           scale_for_nmf)


def test_resolve_features():
    assert len(resolve_features("reduced")) == 19 and len(resolve_features("all")) == 33
    assert set(REDUCED_FEATURES) <= set(ALL_FEATURES)
    assert resolve_features(" recency , frequency ") == ("recency", "frequency")
    with pytest.raises(SegtargetError, match="segments.features"):
        resolve_features("recency")
    with pytest.raises(SegtargetError, match="twice"):
        resolve_features("recency,recency")


def test_check_feature_table_messages():
    df = pd.DataFrame({"household_id": [1, 2], "a": [1.0, np.inf], "b": ["x", "y"]})
    with pytest.raises(SegtargetError, match="'b'|b must be numeric"):
        check_feature_table(df, ("a", "b"))
    with pytest.raises(SegtargetError, match="infinite"):
        check_feature_table(df, ("a",))


def test_scale_for_nmf_fills_and_clips():
    scaler = MinMaxScaler().fit(np.array([[0.0, 10.0], [2.0, 20.0]]))
    Z = scale_for_nmf(scaler, np.array([[np.nan, 30.0], [-1.0, 15.0]]))
    np.testing.assert_allclose(Z, [[0.0, 1.0], [0.0, 0.5]])
