"""Feature marginal comparison: identical tables agree, shifted ones do not, bad input is one line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segtarget.errors import SegtargetError
from segtarget.features.compare import compare_marginals, compare_synthetic


def frame(values, cols=("a", "b")) -> pd.DataFrame:
    return pd.DataFrame({c: values for c in cols})


def test_identical_tables_have_zero_gaps():
    x = frame(np.random.default_rng(0).normal(10, 2, 500))
    t = compare_marginals(x, x.copy(), columns=("a", "b")).summary_frame()
    assert list(t["feature"]) == ["a", "b"]
    assert (t["ks"] == 0).all() and (t["mean_rel_diff"] == 0).all()
    assert np.allclose(t["source_q50"], t["synthetic_q50"])


def test_shifted_table_is_flagged():
    rng = np.random.default_rng(1)
    cmp = compare_marginals(frame(rng.uniform(0, 1, 300)), frame(rng.uniform(2, 3, 300)), columns=("a", "b"))
    t = cmp.summary_frame()
    assert (t["ks"] == 1).all() and (t["mean_rel_diff"] > 3).all()
    assert "largest KS 1.000" in cmp.headline()


def test_missing_column_and_folder_are_one_line_errors(tmp_path):
    with pytest.raises(SegtargetError, match="column\\(s\\) b missing"):
        compare_marginals(frame([1.0], ("a", "b")), frame([1.0], ("a",)), columns=("a", "b"))
    with pytest.raises(SegtargetError, match="synth_plan.parquet"):
        compare_synthetic("completejourney", tmp_path)
    with pytest.raises(SegtargetError, match="--compare-households"):
        compare_synthetic("completejourney", tmp_path, sample=0)
