"""Feature scaling before NMF: MinMax (the reference), log-then-MinMax for heavy tails, or quantile ranks.

Why not plain MinMax: spend, frequency, recency and several category shares are heavy-tailed (skewness
2-17 on the embedded data). MinMax maps the largest household to 1, so most households sit in a small
corner near 0 and a handful of extreme households decide where the NMF factors and K-Means centroids go;
a bootstrap resample that drops or duplicates them moves the segments (measured in benchmarks/RESULTS.md,
"Track 1").

``FeatureScaler(kind)``:

* ``"minmax"``: x -> (x - min) / (max - min) on the fitting data (reference behaviour).
* ``"log"``: every feature whose fitting-data skewness exceeds ``skew_threshold`` and whose minimum is
  >= 0 first becomes log(1 + x); then MinMax as above. The list of logged features is fitted state
  (``logged_``), so new households are scaled exactly like the training ones.
* ``"quantile"``: each feature becomes its empirical CDF value on the fitting data (rank / n, in [0, 1]).

Every kind returns values in [0, 1] on the fitting data; :meth:`transform` maps missing values to 0 (the
training minimum, as the reference filled its NaN-prone features) and clips new values into [0, 1] so the
NMF never sees negative input.
"""

from __future__ import annotations

import numpy as np

from ..errors import SegtargetError

KINDS = ("minmax", "log", "quantile")


def _skewness(X: np.ndarray) -> np.ndarray:
    """Column skewness ignoring NaN (0 for a constant column)."""
    mu = np.nanmean(X, axis=0)
    d = X - mu
    m2 = np.nanmean(d ** 2, axis=0)
    m3 = np.nanmean(d ** 3, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(m2 > 0, m3 / m2 ** 1.5, 0.0)


class FeatureScaler:
    """Map raw features to [0, 1] for NMF (kinds in the module docstring); fit/transform like sklearn."""

    def __init__(self, kind: str = "log", skew_threshold: float = 2.0):
        self.kind = kind
        self.skew_threshold = skew_threshold

    def fit(self, X: np.ndarray) -> "FeatureScaler":
        if self.kind not in KINDS:
            raise SegtargetError(f"config 'segments.transform' = {self.kind!r} is unknown; use one of {', '.join(KINDS)}")
        X = np.asarray(X, dtype=float)
        if self.kind == "quantile":
            # Sorted non-missing training values per column; transform = share of them <= x.
            self.quantiles_ = [np.sort(col[~np.isnan(col)]) for col in X.T]
            return self
        with np.errstate(invalid="ignore"):
            nonneg = np.nanmin(X, axis=0) >= 0
        self.logged_ = (_skewness(X) > self.skew_threshold) & nonneg if self.kind == "log" else np.zeros(X.shape[1], bool)
        Z = self._log(X)
        self.min_ = np.nan_to_num(np.nanmin(Z, axis=0))
        span = np.nan_to_num(np.nanmax(Z, axis=0)) - self.min_
        self.scale_ = np.where(span > 0, span, 1.0)  # constant column -> 0, like MinMaxScaler
        return self

    def _log(self, X: np.ndarray) -> np.ndarray:
        if not self.logged_.any():
            return X
        Z = X.copy()
        Z[:, self.logged_] = np.log1p(np.clip(Z[:, self.logged_], 0.0, None))
        return Z

    def transform(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if self.kind == "quantile":
            Z = np.column_stack([np.searchsorted(q, col, side="right") / max(len(q), 1)
                                 for q, col in zip(self.quantiles_, X.T)]).astype(float)
            Z[np.isnan(X)] = np.nan
        else:
            Z = (self._log(X) - self.min_) / self.scale_
        return np.clip(np.nan_to_num(Z, nan=0.0), 0.0, 1.0)

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).transform(X)


__all__ = ["FeatureScaler", "KINDS"]
