"""Track 1 (segmentation) parameters.

Every field has a default that gives the documented automatic behaviour; ``transform="minmax", nmf_k=5,
kmeans_k=7`` reproduces the reference's choices (docs/config.md lists every key).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigCheck


@dataclass(frozen=True)
class SegmentConfig:
    # Features fed to MinMax -> NMF: "reduced" (the reference's 19), "all" (the 33) or a comma-separated list.
    features: str = "reduced"
    # Scaling before NMF (segments/transform.py): "log" (log(1+x) of features whose skewness exceeds
    # skew_threshold, then MinMax), "minmax" (the reference) or "quantile" (empirical CDF ranks).
    transform: str = "log"
    # "log" transform: a non-negative feature is logged when its skewness on the fitting data is above this.
    skew_threshold: float = 2.0
    # NMF rank scan range (inclusive; the R^2 table) and the fixed rank; 0 = pick by `nmf_rule`, 5 = reference.
    nmf_k_min: int = 2
    nmf_k_max: int = 11
    nmf_k: int = 0
    # Automatic NMF rank rule: "stability" = chosen together with the segment count by the stability grid
    # (segments/granularity.py, ranks nmf_k_min..stability_nmf_k_max; needs kmeans_rule "stability" or a
    # fixed kmeans_k); "r2" = smallest k whose held-out mean per-feature R^2 reaches nmf_r2_target, then one
    # more factor at a time while each adds >= nmf_min_gain; "elbow" = point of the held-out R^2 curve
    # farthest above the chord between its ends.
    nmf_rule: str = "stability"
    # Largest NMF rank the "stability" rule tries (more factors spread households thinner and refit less alike).
    stability_nmf_k_max: int = 4
    # Target for the "r2" rule: the factors must reproduce this share of a typical feature's variance on
    # households they were not fitted on.
    nmf_r2_target: float = 0.5
    # "r2" rule: an extra factor is kept only if it raises the held-out mean R^2 by at least this much.
    nmf_min_gain: float = 0.1
    # Household folds for the held-out R^2 of each NMF rank (fit on k-1 folds, score the last).
    nmf_cv_folds: int = 3
    # Iteration cap of sklearn's coordinate-descent NMF (the reference used 1000).
    nmf_max_iter: int = 1000
    # Segment-count range (inclusive): a business choice (5-8 segments are enough to plan campaigns and few
    # enough to run them); the automatic rule picks inside it. Fixed k: 0 = pick, 7 reproduces the reference.
    kmeans_k_min: int = 5
    kmeans_k_max: int = 8
    kmeans_k: int = 0
    # Automatic K-Means rule: "stability" (stability first, then indexes: segments/granularity.py),
    # "consensus" (best mean rank over silhouette, Calinski-Harabasz and Davies-Bouldin), "dbi" (minimum
    # Davies-Bouldin, the reference), "silhouette", "ch", or "prediction_strength" (largest k whose held-out
    # prediction strength >= prediction_strength_min).
    kmeans_rule: str = "stability"
    # Full-pipeline resamples per (NMF rank, k) candidate of the "stability" rule (its own seeds; the
    # reported stability of the chosen candidate is re-measured with n_bootstrap fresh resamples).
    n_bootstrap_select: int = 20
    # A candidate is stable when its mean bootstrap ARI reaches this (Hennig's "stable" level)...
    stability_ari_min: float = 0.75
    # ...and every one of its segments has a mean Jaccard of at least this; segments below it are "tentative".
    stability_jaccard_min: float = 0.75
    # Tibshirani-Walther threshold for the "prediction_strength" rule.
    prediction_strength_min: float = 0.8
    # K-Means restarts (k-means++ seeding) for every fit, also inside the bootstrap.
    kmeans_n_init: int = 10
    # Bootstrap resamples that refit scaler, NMF and K-Means; 0 switches the stability analysis off.
    n_bootstrap: int = 100
    # Also run the reference's cheaper variant (K-Means only refit on 80% resamples of fixed factor scores).
    bootstrap_kmeans_only: bool = True
    # Segment name overrides, each "ID=Name" (ID = segment number or the automatic name).
    names: tuple[str, ...] = ()
    # Optional CSV with columns segment,name (e.g. an edited tables/segment_names.csv); applied after `names`.
    names_file: str = ""
    # Column used for revenue share and value tiers.
    revenue_feature: str = "monetary_sales"
    # Above this many households the rank scans, the fit and the bootstrap use MiniBatch K-Means on online
    # (mini-batch) NMF factors instead of K-Means and coordinate-descent NMF; the report says so.
    scale_threshold: int = 50_000
    # Run the quarterly segment-migration step in `segtarget run` (needs two complete calendar quarters).
    migration: bool = True
    # Migration: a household is "uncertain" in a quarter when its distance to the nearest segment centroid is
    # at least this share of its distance to the second nearest (1 = exactly on the border).
    migration_uncertain_ratio: float = 0.8
    # Migration: full-pipeline resamples of the quarter-level model; its per-segment reassignment rate is
    # the noise benchmark for moves (0 = no benchmark).
    migration_n_bootstrap: int = 20
    # Draw the figures (tables, model and numbers are identical without them; off saves time in re-fits).
    figures: bool = True

    def __post_init__(self):
        from .featureset import resolve_features

        c = ConfigCheck("segments", self)
        resolve_features(self.features)
        c.one_of("transform", ("log", "minmax", "quantile"))
        c.holds(self.skew_threshold == self.skew_threshold, "skew_threshold", "a number")  # NaN would log nothing
        c.within("nmf_k_min", "[1, inf)")
        c.holds(self.nmf_k_max >= self.nmf_k_min, "nmf_k_max", f">= segments.nmf_k_min ({self.nmf_k_min})")
        c.within("nmf_k", "[0, inf)")  # 0 = chosen by nmf_rule
        c.one_of("nmf_rule", ("stability", "r2", "elbow"))
        c.within("nmf_r2_target", "(0, 1]")
        c.within("nmf_min_gain", "[0, 1)")
        c.within("nmf_cv_folds", "[2, inf)")
        c.within("nmf_max_iter", "[1, inf)")
        c.within("kmeans_k_min", "[2, inf)")
        c.holds(self.kmeans_k_max >= self.kmeans_k_min, "kmeans_k_max", f">= segments.kmeans_k_min ({self.kmeans_k_min})")
        c.holds(self.kmeans_k == 0 or self.kmeans_k >= 2, "kmeans_k", "0 (chosen by kmeans_rule) or at least 2")
        c.one_of("kmeans_rule", ("stability", "consensus", "dbi", "silhouette", "ch", "prediction_strength"))
        if self.nmf_rule == "stability" and self.nmf_k == 0:
            # the rank is chosen together with the segment count, so the count must come from the grid too
            c.holds(self.kmeans_rule == "stability" or self.kmeans_k > 0, "kmeans_rule",
                    "'stability' (or segments.kmeans_k fixed) while segments.nmf_rule is 'stability'", "stability")
            c.holds(self.stability_nmf_k_max >= self.nmf_k_min, "stability_nmf_k_max",
                    f">= segments.nmf_k_min ({self.nmf_k_min})")
        c.within("n_bootstrap_select", "[2, inf)")
        c.within("stability_ari_min", "(0, 1]")
        c.within("stability_jaccard_min", "(0, 1]")
        c.within("prediction_strength_min", "(0, 1]")
        c.within("kmeans_n_init", "[1, inf)")
        c.within("n_bootstrap", "[0, inf)")  # 0 = no stability analysis
        c.holds(all("=" in n and n.split("=", 1)[1].strip() for n in self.names), "names",
                'a list of "ID=Name" strings, e.g. ["3=Fresh Lovers"]', ["3=Fresh Lovers"])
        c.holds(bool(self.revenue_feature.strip()), "revenue_feature", "a feature column name")
        c.within("scale_threshold", "[1, inf)")
        c.within("migration_uncertain_ratio", "(0, 1]")
        c.within("migration_n_bootstrap", "[0, inf)")  # 0 = no noise benchmark


@dataclass(frozen=True)
class SegmentSpec:
    """How one segmentation pipeline (scaler -> NMF -> K-Means) is fit, apart from the data, the two ranks and
    the seed: the knobs that every fit, rank scan and bootstrap refit shares, so they travel as one value.
    Fields are named as their ``segments.*`` keys; :meth:`from_config` builds it, a fitted ``SegmentModel``
    gives its own as ``spec_``."""

    # Scaling before NMF, as segments.transform ("log", "minmax" or "quantile").
    transform: str = "log"
    # "log" transform: a non-negative feature is logged when its skewness is above this (segments.skew_threshold).
    skew_threshold: float = 2.0
    # K-Means restarts of every fit (segments.kmeans_n_init).
    kmeans_n_init: int = 10
    # Iteration cap of every NMF fit (segments.nmf_max_iter).
    nmf_max_iter: int = 1000
    # Online NMF and MiniBatch K-Means instead of the exact ones: above segments.scale_threshold households.
    minibatch: bool = False

    def __post_init__(self):
        c = ConfigCheck("segments", self)
        c.one_of("transform", ("log", "minmax", "quantile"))
        c.within("kmeans_n_init", "[1, inf)")
        c.within("nmf_max_iter", "[1, inf)")

    @classmethod
    def from_config(cls, cfg: SegmentConfig, minibatch: bool = False) -> "SegmentSpec":
        return cls(cfg.transform, cfg.skew_threshold, cfg.kmeans_n_init, cfg.nmf_max_iter, minibatch)
