"""The fitted segmentation: MinMax scaler -> NMF -> K-Means -> named segments, savable and reusable.

Segment numbers are canonical: 0 is the largest segment, then by decreasing size (ties by the sum of the
centroid coordinates), so the same data and seed always give the same numbers and names.

A saved model is a directory with ``model.joblib`` (scaler, NMF, K-Means, relabelling) and
``segments.json`` (features, ranks, names, factor names). ``model.joblib`` is a pickle: load only models
you created yourself.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SegtargetError
from ..scale import SCALE_THRESHOLD_HOUSEHOLDS, make_kmeans
from .factors import fit_nmf, nmf_transform
from .featureset import ID, REDUCED_FEATURES, check_feature_table, feature_matrix, scale_for_nmf
from .threads import single_threaded

FORMAT_VERSION = 1


def canonical_order(labels: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Map raw cluster id -> canonical segment id (largest first, ties by centroid sum)."""
    k = len(centers)
    sizes = np.bincount(labels, minlength=k)
    ranking = sorted(range(k), key=lambda c: (-sizes[c], float(centers[c].sum())))
    mapping = np.empty(k, dtype=int)
    mapping[ranking] = np.arange(k)
    return mapping


@single_threaded
def fit_core(X_raw: np.ndarray, n_factors: int, n_segments: int, seed: int, n_init: int = 10,
             max_iter: int = 1000, minibatch: bool = False) -> dict:
    """Fit scaler, NMF and K-Means on ``X_raw``; returns the parts and the canonical relabelling.

    ``minibatch`` uses online NMF and MiniBatch K-Means (above the scale threshold)."""
    from sklearn.preprocessing import MinMaxScaler

    scaler = MinMaxScaler().fit(X_raw)
    nmf, W = fit_nmf(scale_for_nmf(scaler, X_raw), n_factors, seed, max_iter, minibatch)
    km = make_kmeans(n_segments, seed, n_init, minibatch).fit(W)
    return {"scaler": scaler, "nmf": nmf, "kmeans": km, "order": canonical_order(km.labels_, km.cluster_centers_),
            "W": W}


@single_threaded
def predict_core(parts: dict, X_raw: np.ndarray) -> np.ndarray:
    """Segment ids of any rows under fitted parts."""
    W = nmf_transform(parts["nmf"], scale_for_nmf(parts["scaler"], X_raw))
    return parts["order"][parts["kmeans"].predict(W)]


class SegmentModel:
    """MinMax -> NMF(n_factors) -> K-Means(n_segments) on ``features``, with automatic segment names.

    Parameters are stored as given; ``fit`` sets ``scaler_``, ``nmf_``, ``kmeans_``, ``order_``,
    ``labels_`` (training households), ``scores_`` (their factor scores), ``factors_`` (factor names),
    ``summary_`` and ``zscores_`` (profiles), ``names_`` (segment, name, auto_name, reason) and
    ``minibatch_`` (True when more than ``scale_threshold`` households switched the fit to online NMF and
    MiniBatch K-Means, see :mod:`segtarget.scale`).
    """

    def __init__(self, features: tuple[str, ...] = REDUCED_FEATURES, n_factors: int = 5, n_segments: int = 7,
                 random_state: int = 0, n_init: int = 10, max_iter: int = 1000,
                 revenue_feature: str = "monetary_sales", name_overrides: dict[str, str] | None = None,
                 scale_threshold: int = SCALE_THRESHOLD_HOUSEHOLDS):
        self.features = features
        self.n_factors = n_factors
        self.n_segments = n_segments
        self.random_state = random_state
        self.n_init = n_init
        self.max_iter = max_iter
        self.revenue_feature = revenue_feature
        self.name_overrides = name_overrides
        self.scale_threshold = scale_threshold

    def _check_params(self, n_rows: int) -> None:
        if not 1 <= self.n_factors <= len(self.features):
            raise SegtargetError(
                f"segments.nmf_k = {self.n_factors}: must be between 1 and the number of features ({len(self.features)})")
        if not 2 <= self.n_segments < n_rows:
            raise SegtargetError(
                f"segments.kmeans_k = {self.n_segments}: must be at least 2 and below the number of households ({n_rows})")

    def fit(self, df: pd.DataFrame) -> "SegmentModel":
        from .naming import apply_overrides, automatic_names, factor_names
        from .profiles import numeric_features, segment_summary, zscore_table

        features = tuple(self.features)
        check_feature_table(df, features, "feature table")
        self._check_params(len(df))
        self.minibatch_ = len(df) > self.scale_threshold
        parts = fit_core(feature_matrix(df, features), self.n_factors, self.n_segments, self.random_state,
                         self.n_init, self.max_iter, self.minibatch_)
        self.scaler_, self.nmf_, self.kmeans_, self.order_ = (parts["scaler"], parts["nmf"], parts["kmeans"],
                                                               parts["order"])
        self.labels_ = self.order_[self.kmeans_.labels_]
        self.factors_ = factor_names(self.nmf_.components_, features)
        labels = list(self.factors_["factor"])
        self.scores_ = pd.DataFrame(parts["W"], columns=labels).assign(**{ID: df[ID].to_numpy()})[[ID, *labels]]
        self.summary_ = segment_summary(df, self.labels_, parts["W"], labels, self.revenue_feature)
        self.zscores_ = zscore_table(df, self.labels_, numeric_features(df))
        auto = automatic_names(self.zscores_, self.summary_, self.factors_, self.revenue_feature)
        self.names_ = apply_overrides(auto, self.name_overrides or {})
        return self

    def _fitted(self) -> None:
        if not hasattr(self, "kmeans_"):
            raise SegtargetError("segment model is not fitted; call fit() or SegmentModel.load(dir) first")

    def _parts(self) -> dict:
        return {"scaler": self.scaler_, "nmf": self.nmf_, "kmeans": self.kmeans_, "order": self.order_}

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        """Factor scores (household_id, F1..Fk) of any household feature table."""
        self._fitted()
        check_feature_table(df, self.features, "feature table")
        W = nmf_transform(self.nmf_, scale_for_nmf(self.scaler_, feature_matrix(df, self.features)))
        out = pd.DataFrame(W, columns=list(self.factors_["factor"]))
        out.insert(0, ID, df[ID].to_numpy())
        return out

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """Segment ids (canonical numbering) of any household feature table."""
        self._fitted()
        check_feature_table(df, self.features, "feature table")
        return predict_core(self._parts(), feature_matrix(df, self.features))

    def assign(self, df: pd.DataFrame) -> pd.DataFrame:
        """household_id, segment, segment_name for every row of ``df``."""
        seg = self.predict(df)
        names = dict(zip(self.names_["segment"], self.names_["name"]))
        return pd.DataFrame({ID: df[ID].to_numpy(), "segment": seg, "segment_name": [names[s] for s in seg]})

    def save(self, directory: str | Path) -> Path:
        """Write ``model.joblib`` and ``segments.json`` into ``directory`` (created if needed)."""
        import joblib
        import sklearn

        from .. import __version__

        self._fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        joblib.dump(self._parts(), directory / "model.joblib")
        meta = {
            "format": FORMAT_VERSION, "segtarget_version": __version__, "sklearn_version": sklearn.__version__,
            "features": list(self.features), "n_factors": self.n_factors, "n_segments": self.n_segments,
            "random_state": self.random_state, "n_init": self.n_init, "max_iter": self.max_iter,
            "revenue_feature": self.revenue_feature, "scale_threshold": self.scale_threshold,
            "names": self.names_.to_dict(orient="records"), "factors": self.factors_.to_dict(orient="records"),
        }
        (directory / "segments.json").write_text(json.dumps(meta, indent=2, default=_json_default))
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> "SegmentModel":
        """A model saved by :meth:`save` (profiles of the training data are not stored)."""
        import joblib

        directory = Path(directory)
        meta_path, parts_path = directory / "segments.json", directory / "model.joblib"
        if not (meta_path.is_file() and parts_path.is_file()):
            raise SegtargetError(
                f"model directory {directory}: segments.json and model.joblib not found; pass the 'model' "
                "directory written by 'segtarget segment'")
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != FORMAT_VERSION:
            raise SegtargetError(f"model directory {directory}: format {meta.get('format')} is not supported; "
                                 "re-run 'segtarget segment'")
        model = cls(tuple(meta["features"]), meta["n_factors"], meta["n_segments"], meta["random_state"],
                    meta["n_init"], meta["max_iter"], meta["revenue_feature"],
                    scale_threshold=meta.get("scale_threshold", SCALE_THRESHOLD_HOUSEHOLDS))
        parts = joblib.load(parts_path)
        model.scaler_, model.nmf_, model.kmeans_, model.order_ = (parts["scaler"], parts["nmf"], parts["kmeans"],
                                                                  np.asarray(parts["order"]))
        model.names_ = pd.DataFrame(meta["names"])
        model.factors_ = pd.DataFrame(meta["factors"])
        return model


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
