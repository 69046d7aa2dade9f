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
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.exceptions import NotFittedError

from ..errors import SegtargetError
from ..scale import SCALE_THRESHOLD_HOUSEHOLDS, make_kmeans
from .config import SegmentSpec
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
def fit_factors(X_raw: np.ndarray, n_factors: int, seed: int, spec: SegmentSpec) -> dict:
    """Fit the scaler (``transform.FeatureScaler``) and NMF on ``X_raw``: parts ``scaler``, ``nmf``, ``W``."""
    scaler = FeatureScaler(spec.transform, spec.skew_threshold).fit(X_raw)
    nmf, W = fit_nmf(scale_for_nmf(scaler, X_raw), n_factors, seed, spec.nmf_max_iter, spec.minibatch)
    return {"scaler": scaler, "nmf": nmf, "W": W}


@single_threaded
def add_kmeans(factors: dict, n_segments: int, seed: int, spec: SegmentSpec) -> dict:
    """K-Means on fitted factor scores; returns all parts with the canonical relabelling ``order``."""
    km = make_kmeans(n_segments, seed, spec.kmeans_n_init, spec.minibatch).fit(factors["W"])
    return {**factors, "kmeans": km, "order": canonical_order(km.labels_, km.cluster_centers_)}


@single_threaded
def fit_core(X_raw: np.ndarray, n_factors: int, n_segments: int, seed: int, spec: SegmentSpec) -> dict:
    """Fit scaler, NMF and K-Means on ``X_raw``; returns the parts and the canonical relabelling.

    ``spec.minibatch`` uses online NMF and MiniBatch K-Means (above the scale threshold)."""
    return add_kmeans(fit_factors(X_raw, n_factors, seed, spec), n_segments, seed, spec)


@single_threaded
def predict_core(parts: dict, X_raw: np.ndarray) -> np.ndarray:
    """Segment ids of any rows under fitted parts."""
    return parts["order"][parts["kmeans"].predict(factor_scores(parts, X_raw))]


def factor_scores(parts: dict, X_raw: np.ndarray) -> np.ndarray:
    """NMF factor scores of any rows under fitted parts (loadings fixed)."""
    return nmf_transform(parts["nmf"], scale_for_nmf(parts["scaler"], X_raw))


class SegmentInputError(SegtargetError, ValueError):
    """Bad data or parameters for :class:`SegmentModel`: a one-line user error that scikit-learn tooling
    (``check_estimator``, ``GridSearchCV``'s error score) also recognises as a ``ValueError``."""


class SegmentNotFittedError(SegtargetError, NotFittedError):
    """``predict``/``transform`` before ``fit``: the CLI's one-line error and scikit-learn's ``NotFittedError``."""


class SegmentModel(ClusterMixin, TransformerMixin, BaseEstimator):
    """FeatureScaler(scaling) -> NMF(n_factors) -> K-Means(n_segments), a scikit-learn clusterer and transformer.

    ``X`` is a household feature table (a DataFrame with ``household_id``; the ``features`` columns are
    used) or any numeric matrix: a DataFrame without ``household_id`` or an array, whose columns are
    ``features`` in that order (``features=None``: every column). Missing values are allowed (they scale to
    the training minimum). ``fit`` returns self; ``predict``/``fit_predict`` give canonical segment ids
    (0 = largest), ``transform`` the NMF factor scores (n_samples x n_factors), so the model works with
    ``sklearn.base.clone`` and inside a ``Pipeline``.

    Fitted state: ``scaler_``, ``nmf_``, ``kmeans_``, ``order_`` (raw K-Means cluster -> segment),
    ``cluster_centers_`` (factor space, canonical order), ``labels_``, ``n_iter_`` (NMF iterations), ``factors_`` (factor names),
    ``n_features_in_`` (and ``feature_names_in_`` for a DataFrame) and ``minibatch_`` (True when more than
    ``scale_threshold`` rows switched the fit to online NMF and MiniBatch K-Means, see
    :mod:`segtarget.scale`; ``spec_`` bundles it with the other fitting knobs for refits). On a household
    feature table ``fit`` also profiles and names the segments:
    ``scores_`` (household_id + factor scores), ``summary_`` and ``zscores_`` (profiles) and ``names_``
    (segment, name, auto_name, reason); these stay None for a plain matrix, which has no households to name.
    """

    def __init__(self, features: tuple[str, ...] | None = REDUCED_FEATURES, n_factors: int = 5,
                 n_segments: int = 7, random_state: int = 0, n_init: int = 10, max_iter: int = 1000,
                 revenue_feature: str = "monetary_sales", name_overrides: dict[str, str] | None = None,
                 scale_threshold: int = SCALE_THRESHOLD_HOUSEHOLDS, scaling: str = "log",
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
        self.scaling = scaling  # config segments.transform (renamed: ``transform`` is the method)
        self.skew_threshold = skew_threshold
        self.window_days = window_days  # length of the feature window it was fit on (0 = not recorded)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # missing feature values scale to the training minimum (featureset.py)
        return tags

    def _check_params(self, n_rows: int, n_features: int) -> None:
        if not 1 <= self.n_factors <= n_features:
            raise SegmentInputError(f"segments.nmf_k = {self.n_factors}: must be between 1 and the number of "
                                    f"features (n_features = {n_features})")
        if not 2 <= self.n_segments < n_rows:
            raise SegmentInputError(f"segments.kmeans_k = {self.n_segments}: must be at least 2 and below the "
                                    f"number of households (n_samples = {n_rows})")

    def _matrix(self, X, reset: bool) -> np.ndarray:
        """The raw feature matrix of ``X`` (float, NaN kept), checked and, on ``reset``, recorded as the fit's."""
        from sklearn.utils.validation import validate_data

        if isinstance(X, pd.DataFrame):
            if ID in X.columns:
                features = tuple(self.features) if self.features is not None else tuple(c for c in X if c != ID)
                check_feature_table(X, features, "feature table")
                X = X[list(features)]
            elif self.features is not None:
                missing = [f for f in self.features if f not in X.columns]
                if missing:
                    raise SegmentInputError(f"feature table: feature column(s) {', '.join(map(str, missing))} "
                                            "missing; compute them or change segments.features")
                X = X[list(self.features)]
        Z = validate_data(self, X, reset=reset, dtype=float, ensure_all_finite="allow-nan")
        if self.features is not None and Z.shape[1] != len(self.features):
            raise SegmentInputError(f"feature matrix: {Z.shape[1]} columns for {len(self.features)} features; pass "
                                    "the features in order or a DataFrame with those columns")
        return Z

    def fit(self, X, y=None) -> "SegmentModel":
        """Fit scaler, NMF and K-Means on ``X`` (``y`` is ignored); name the segments of a household table."""
        from .naming import apply_overrides, automatic_names, factor_names

        X_raw = self._matrix(X, reset=True)
        self._check_params(*X_raw.shape)
        self.minibatch_ = len(X_raw) > self.scale_threshold
        parts = fit_core(X_raw, self.n_factors, self.n_segments, self.random_state, self.spec_)
        self._set_parts(parts)
        self.labels_ = self.order_[self.kmeans_.labels_]
        self.n_iter_ = int(self.nmf_.n_iter_)  # NMF iterations (max_iter caps them)
        feature_names = getattr(self, "feature_names_in_", [f"x{j}" for j in range(self.n_features_in_)])
        self.factors_ = factor_names(self.nmf_.components_, tuple(feature_names))
        self.scores_ = self.summary_ = self.zscores_ = self.names_ = None
        if isinstance(X, pd.DataFrame) and ID in X.columns:
            self._describe(X, parts["W"])
            self.names_ = apply_overrides(automatic_names(self.zscores_, self.summary_, self.revenue_feature),
                                          self.name_overrides or {})
        return self

    @property
    def spec_(self) -> SegmentSpec:
        """The fitting knobs of this model (after ``fit``: ``minibatch`` is decided by the number of rows)."""
        return SegmentSpec(self.scaling, self.skew_threshold, self.n_init, self.max_iter, self.minibatch_)

    def _describe(self, df: pd.DataFrame, W: np.ndarray) -> None:
        """Factor scores, segment summary and z-score profiles of the training households."""
        from .profiles import numeric_features, segment_summary, zscore_table

        labels = list(self.factors_["factor"])
        self.scores_ = pd.DataFrame(W, columns=labels).assign(**{ID: df[ID].to_numpy()})[[ID, *labels]]
        self.summary_ = segment_summary(df, self.labels_, W, labels, self.revenue_feature)
        self.zscores_ = zscore_table(df, self.labels_, numeric_features(df))

    def _set_parts(self, parts: dict) -> None:
        self.scaler_, self.nmf_, self.kmeans_ = parts["scaler"], parts["nmf"], parts["kmeans"]
        self.order_ = np.asarray(parts["order"])
        self.cluster_centers_ = np.empty_like(self.kmeans_.cluster_centers_)
        self.cluster_centers_[self.order_] = self.kmeans_.cluster_centers_  # raw cluster c is segment order_[c]

    def _fitted(self) -> None:
        if not hasattr(self, "kmeans_"):
            raise SegmentNotFittedError("segment model is not fitted; call fit() or SegmentModel.load(dir) first")

    def _parts(self) -> dict:
        return {"scaler": self.scaler_, "nmf": self.nmf_, "kmeans": self.kmeans_, "order": self.order_}

    def transform(self, X) -> np.ndarray:
        """NMF factor scores (n_samples x n_factors, columns named in ``factors_``) of any rows."""
        self._fitted()
        return factor_scores(self._parts(), self._matrix(X, reset=False))

    def predict(self, X) -> np.ndarray:
        """Segment ids (canonical numbering) of any rows."""
        self._fitted()
        return predict_core(self._parts(), self._matrix(X, reset=False))

    def centroid_distances(self, X) -> np.ndarray:
        """Rows x segments Euclidean distances in factor space (columns in canonical segment order)."""
        W = self.transform(X)
        return np.sqrt(((W[:, None, :] - self.cluster_centers_[None, :, :]) ** 2).sum(axis=2))

    def _named(self) -> tuple[str, ...]:
        """The fitted feature names, for the steps that need named segments (a fit on a household table)."""
        self._fitted()
        if self.names_ is None or not hasattr(self, "feature_names_in_"):
            raise SegmentInputError("segment model was fitted on a plain matrix: naming, assign() and save() "
                                    "need a fit on a household feature table (a DataFrame with household_id)")
        return tuple(self.feature_names_in_)

    def assign(self, df: pd.DataFrame) -> pd.DataFrame:
        """household_id, segment, segment_name for every row of a household feature table."""
        check_feature_table(df, self._named(), "feature table")
        seg = self.predict(df)
        names = dict(zip(self.names_["segment"], self.names_["name"]))
        return pd.DataFrame({ID: df[ID].to_numpy(), "segment": seg, "segment_name": [names[s] for s in seg]})

    def save(self, directory: str | Path) -> Path:
        """Write ``model.joblib`` and ``segments.json`` into ``directory`` (created if needed)."""
        import joblib
        import sklearn

        from .. import __version__

        features = self._named()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        joblib.dump(self._parts(), directory / "model.joblib")
        meta = {
            "format": FORMAT_VERSION, "segtarget_version": __version__, "sklearn_version": sklearn.__version__,
            "features": list(features), "n_factors": self.n_factors, "n_segments": self.n_segments,
            "random_state": self.random_state, "n_init": self.n_init, "max_iter": self.max_iter,
            "revenue_feature": self.revenue_feature, "scale_threshold": self.scale_threshold,
            "transform": self.scaling, "skew_threshold": self.skew_threshold, "window_days": self.window_days,
            "feature_definitions": feature_fingerprint(features),
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
        features = tuple(meta["features"])
        model = cls(features, meta["n_factors"], meta["n_segments"], meta["random_state"],
                    meta["n_init"], meta["max_iter"], meta["revenue_feature"],
                    scale_threshold=meta.get("scale_threshold", SCALE_THRESHOLD_HOUSEHOLDS),
                    scaling=meta["transform"], skew_threshold=meta["skew_threshold"],
                    window_days=int(meta.get("window_days", 0)))
        model._set_parts(joblib.load(parts_path))
        model.n_features_in_, model.feature_names_in_ = len(features), np.asarray(features, dtype=object)
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
