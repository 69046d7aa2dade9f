"""Which household features enter the segmentation, and checks on the feature table.

The input is a household feature table: one row per household, ``household_id`` plus numeric features
(reference_spec.md §2.1). The NMF needs non-negative input, which MinMax scaling guarantees on the
fitting data; see :func:`scale_for_nmf` for missing values and values outside the training range.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import SegtargetError
from ..features.definitions import FEATURE_NAMES
from ..features.definitions import REDUCED_FEATURES as _REDUCED

ID = "household_id"

# One source of truth for the feature names: the feature stage's dictionary. ALL_FEATURES = the 33
# reference features (reference_spec.md §2.1); REDUCED_FEATURES = the 19 the reference fed to NMF (§2.2).
ALL_FEATURES: tuple[str, ...] = tuple(FEATURE_NAMES)
REDUCED_FEATURES: tuple[str, ...] = tuple(_REDUCED)


def resolve_features(spec: str) -> tuple[str, ...]:
    """Feature list from the config value: "reduced", "all" or "a,b,c"."""
    spec = spec.strip()
    if spec == "reduced":
        return REDUCED_FEATURES
    if spec == "all":
        return ALL_FEATURES
    names = tuple(s.strip() for s in spec.split(",") if s.strip())
    if len(names) < 2:
        raise SegtargetError(
            f"config 'segments.features' = {spec!r}: give 'reduced', 'all' or at least two comma-separated "
            "feature names")
    if len(set(names)) != len(names):
        raise SegtargetError(f"config 'segments.features': a feature is listed twice in {spec!r}")
    return names


def check_feature_table(df: pd.DataFrame, features: tuple[str, ...], where: str = "feature table") -> None:
    """Raise a one-line :class:`SegtargetError` unless ``df`` can be segmented on ``features``."""
    if not isinstance(df, pd.DataFrame):
        raise SegtargetError(f"{where}: expected a pandas DataFrame, got {type(df).__name__}")
    if ID not in df.columns:
        raise SegtargetError(f"{where}: column '{ID}' is missing; add one row id per household")
    missing = [f for f in features if f not in df.columns]
    if missing:
        raise SegtargetError(
            f"{where}: feature column(s) {', '.join(missing)} missing; compute them or change "
            "segments.features")
    bad = [f for f in features if not pd.api.types.is_numeric_dtype(df[f]) or pd.api.types.is_bool_dtype(df[f])]
    if bad:
        raise SegtargetError(f"{where}: column(s) {', '.join(bad)} must be numeric")
    if df[ID].duplicated().any():
        dup = df.loc[df[ID].duplicated(), ID].iloc[0]
        raise SegtargetError(f"{where}: {ID} {dup} appears more than once; pass one row per household")
    values = df[list(features)].to_numpy(dtype=float)
    if np.isinf(values).any():
        col = features[int(np.where(np.isinf(values).any(axis=0))[0][0])]
        raise SegtargetError(f"{where}: column '{col}' contains infinite values; fix or drop those households")


def feature_matrix(df: pd.DataFrame, features: tuple[str, ...]) -> np.ndarray:
    """Raw feature values as a float matrix (rows = households, in ``df`` order; NaN kept)."""
    return df[list(features)].to_numpy(dtype=float)


def scale_for_nmf(scaler, X: np.ndarray) -> np.ndarray:
    """MinMax-scale with a fitted scaler and make the result valid NMF input.

    Missing values become 0, the training minimum (the reference filled its three NaN-prone features with
    0 as well). Values outside the training range are clipped to [0, 1]: a household beyond the largest
    training value is treated like the largest, and the NMF never sees negative input.
    """
    Z = scaler.transform(X)
    return np.clip(np.nan_to_num(Z, nan=0.0), 0.0, 1.0)
