"""The fitted segmentation: feature scaler -> NMF -> K-Means -> named segments, savable and reusable.

Segment numbers are canonical: 0 is the largest segment, then by decreasing size (ties by the sum of the
centroid coordinates), so the same data and seed always give the same numbers and names.

A saved model is a directory with ``model.joblib`` (scaler, NMF, K-Means, relabelling) and
``segments.json`` (features, transform, ranks, names, factor names, segment summary with value tiers). ``model.joblib`` is a pickle: load only models
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
from ..threads import single_threaded
from .transform import FeatureScaler

FORMAT_VERSION = 2  # 2: configurable feature transform (transform.py) + feature fingerprint


def canonical_order(labels: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Map raw cluster id -> canonical segment id (largest first, ties by centroid sum)."""
    k = len(centers)
    sizes = np.bincount(labels, minlength=k)
    ranking = sorted(range(k), key=lambda c: (-sizes[c], float(centers[c].sum())))
    mapping = np.empty(k, dtype=int)
    mapping[ranking] = np.arange(k)
    return mapping


@single_threaded
def fit_factors(X_raw: np.ndarray, n_factors: int, seed: int, max_iter: int = 1000, minibatch: bool = False,
                transform: str = "minmax", skew_threshold: float = 2.0) -> dict:
    """Fit the scaler (``transform.FeatureScaler``) and NMF on ``X_raw``: parts ``scaler``, ``nmf``, ``W``."""
    scaler = FeatureScaler(transform, skew_threshold).fit(X_raw)
    nmf, W = fit_nmf(scale_for_nmf(scaler, X_raw), n_factors, seed, max_iter, minibatch)
    return {"scaler": scaler, "nmf": nmf, "W": W}


@single_threaded
def add_kmeans(factors: dict, n_segments: int, seed: int, n_init: int = 10, minibatch: bool = False) -> dict:
    """K-Means on fitted factor scores; returns all parts with the canonical relabelling ``order``."""
    km = make_kmeans(n_segments, seed, n_init, minibatch).fit(factors["W"])
    return {**factors, "kmeans": km, "order": canonical_order(km.labels_, km.cluster_centers_)}


@single_threaded
def fit_core(X_raw: np.ndarray, n_factors: int, n_segments: int, seed: int, n_init: int = 10,
             max_iter: int = 1000, minibatch: bool = False, transform: str = "minmax",
             skew_threshold: float = 2.0) -> dict:
    """Fit scaler, NMF and K-Means on ``X_raw``; returns the parts and the canonical relabelling.

    ``minibatch`` uses online NMF and MiniBatch K-Means (above the scale threshold)."""
    factors = fit_factors(X_raw, n_factors, seed, max_iter, minibatch, transform, skew_threshold)
    return add_kmeans(factors, n_segments, seed, n_init, minibatch)


@single_threaded
def predict_core(parts: dict, X_raw: np.ndarray) -> np.ndarray:
    """Segment ids of any rows under fitted parts."""
    return parts["order"][parts["kmeans"].predict(factor_scores(parts, X_raw))]


def factor_scores(parts: dict, X_raw: np.ndarray) -> np.ndarray:
    """NMF factor scores of any rows under fitted parts (loadings fixed)."""
    return nmf_transform(parts["nmf"], scale_for_nmf(parts["scaler"], X_raw))


class SegmentModel:
    """FeatureScaler(transform) -> NMF(n_factors) -> K-Means(n_segments) on ``features``, with automatic names.

    Parameters are stored as given; ``fit`` sets ``scaler_``, ``nmf_``, ``kmeans_``, ``order_``,
    ``labels_`` (training households), ``scores_`` (their factor scores), ``factors_`` (factor names),
    ``summary_`` and ``zscores_`` (profiles), ``names_`` (segment, name, auto_name, reason) and
    ``minibatch_`` (True when more than ``scale_threshold`` households switched the fit to online NMF and
    MiniBatch K-Means, see :mod:`segtarget.scale`).
    """

    def __init__(self, features: tuple[str, ...] = REDUCED_FEATURES, n_factors: int = 5, n_segments: int = 7,
                 random_state: int = 0, n_init: int = 10, max_iter: int = 1000,
                 revenue_feature: str = "monetary_sales", name_overrides: dict[str, str] | None = None,
                 scale_threshold: int = SCALE_THRESHOLD_HOUSEHOLDS, transform: str = "log",
                 skew_threshold: float = 2.0, window_days: int = 0):
        self.features = features
        self.n_factors = n_factors
        self.n_segments = n_segments
        self.random_state = random_state
        self.n_init = n_init
        self.max_iter = max_iter
        self.revenue_feature = revenue_feature
        self.name_overrides = name_overrides
        self.scale_threshold = scale_threshold
        self.transform = transform
        self.skew_threshold = skew_threshold
        self.window_days = window_days  # length of the feature window it was fit on (0 = not recorded)

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
                         self.n_init, self.max_iter, self.minibatch_, self.transform, self.skew_threshold)
        self.scaler_, self.nmf_, self.kmeans_, self.order_ = (parts["scaler"], parts["nmf"], parts["kmeans"],
                                                               parts["order"])
        self.labels_ = self.order_[self.kmeans_.labels_]
        self.factors_ = factor_names(self.nmf_.components_, features)
        labels = list(self.factors_["factor"])
        self.scores_ = pd.DataFrame(parts["W"], columns=labels).assign(**{ID: df[ID].to_numpy()})[[ID, *labels]]
        self.summary_ = segment_summary(df, self.labels_, parts["W"], labels, self.revenue_feature)
        self.zscores_ = zscore_table(df, self.labels_, numeric_features(df))
        auto = automatic_names(self.zscores_, self.summary_, self.revenue_feature)
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

    def centroid_distances(self, df: pd.DataFrame) -> np.ndarray:
        """Households x segments Euclidean distances in factor space (columns in canonical segment order)."""
        self._fitted()
        check_feature_table(df, self.features, "feature table")
        W = factor_scores(self._parts(), feature_matrix(df, self.features))
        centers = np.empty_like(self.kmeans_.cluster_centers_)
        centers[self.order_] = self.kmeans_.cluster_centers_  # raw cluster c is canonical segment order_[c]
        return np.sqrt(((W[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2))

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
            "transform": self.transform, "skew_threshold": self.skew_threshold, "window_days": self.window_days,
            "feature_definitions": feature_fingerprint(self.features),
            "names": self.names_.to_dict(orient="records"), "factors": self.factors_.to_dict(orient="records"),
            "summary": self.summary_.to_dict(orient="records"),
        }
        (directory / "segments.json").write_text(json.dumps(meta, indent=2, default=_json_default))
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> "SegmentModel":
        """A model saved by :meth:`save` (segment summary kept; per-household training data is not stored)."""
        import joblib

        directory = Path(directory)
        meta_path, parts_path = directory / "segments.json", directory / "model.joblib"
        if not (meta_path.is_file() and parts_path.is_file()):
            raise SegtargetError(
                f"model directory {directory}: segments.json and model.joblib not found; pass the 'model' "
                "directory written by 'segtarget segment'")
        meta = _read_meta(meta_path)
        model = cls(tuple(meta["features"]), meta["n_factors"], meta["n_segments"], meta["random_state"],
                    meta["n_init"], meta["max_iter"], meta["revenue_feature"],
                    scale_threshold=meta.get("scale_threshold", SCALE_THRESHOLD_HOUSEHOLDS),
                    transform=meta["transform"], skew_threshold=meta["skew_threshold"],
                    window_days=int(meta.get("window_days", 0)))
        parts = joblib.load(parts_path)
        model.scaler_, model.nmf_, model.kmeans_, model.order_ = (parts["scaler"], parts["nmf"], parts["kmeans"],
                                                                  np.asarray(parts["order"]))
        model.names_ = pd.DataFrame(meta["names"])
        model.summary_ = pd.DataFrame(meta.get("summary", []))
        model.factors_ = pd.DataFrame(meta["factors"])
        return model


def feature_fingerprint(features) -> str:
    """Short hash of the features' names and formulas (feature dictionary), to refuse models built on
    other feature definitions. Names outside the dictionary (custom tables) count by name only."""
    import hashlib

    from ..features.definitions import FEATURES

    formula = {f.name: f.formula for f in FEATURES}
    text = "|".join(f"{f}={formula.get(f, '')}" for f in features)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _read_meta(path: Path) -> dict:
    """segments.json, checked: readable, this format version, same feature definitions as this install."""
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SegtargetError(f"model file {path}: not readable JSON ({type(exc).__name__}); re-run 'segtarget segment'")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise SegtargetError(f"model file {path}: format {found} is not supported (this version reads "
                             f"{FORMAT_VERSION}); re-run 'segtarget segment' to rebuild the model")
    missing = [k for k in ("features", "n_factors", "n_segments", "transform", "skew_threshold", "names")
               if k not in meta]
    if missing:
        raise SegtargetError(f"model file {path}: key '{missing[0]}' missing; re-run 'segtarget segment'")
    if meta.get("feature_definitions") != feature_fingerprint(meta["features"]):
        raise SegtargetError(f"model file {path}: built on other feature definitions than this segtarget "
                             "version computes; re-run 'segtarget segment' to rebuild the model")
    return meta


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
