"""Track 1 in one call: scan and choose the ranks, fit, test stability, profile, name, write outputs.

``run_segments`` is what ``segtarget run`` and ``segtarget segment`` call. Every number it reports comes
from the same fitted objects that it saves (``<out>/model``), and the same seed gives the same segments.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd

from ..deprecation import renamed_keywords
from ..errors import SegtargetError
from ..io import OutputDir
from ..report.section import Section
from ..scale import plan_scale
from .clustering import choose_kmeans_k, gmm_comparison, scan_kmeans
from .config import SegmentConfig, SegmentSpec
from .factors import choose_nmf_k, feature_r2_frame, fit_nmf, scan_factors
from .granularity import choose_granularity, stability_grid
from .featureset import ID, check_feature_table, feature_matrix, resolve_features, scale_for_nmf
from .model import SegmentModel
from .naming import parse_overrides
from .profiles import anova_table, numeric_features, profile_long
from .stability import StabilityResult, bootstrap_stability
from .strategy import strategy_table
from ..threads import single_threaded


@dataclass(frozen=True)
class SegmentationResult:
    """Everything Track 1 produced; ``model`` labels new households (``model.assign(df)``)."""

    model: SegmentModel
    labels: pd.DataFrame  # household_id, segment, segment_name
    profiles: pd.DataFrame  # one row per segment: size, shares, tier, dominant factor, name
    names: pd.DataFrame  # segment, name, auto_name, reason
    strategies: pd.DataFrame  # segment, name, priority, strategy, key_actions, rule
    headline: dict
    nmf_scan: pd.DataFrame = field(repr=False)
    kmeans_scan: pd.DataFrame = field(repr=False)
    gmm: pd.DataFrame = field(repr=False)
    anova: pd.DataFrame = field(repr=False)
    profile_features: pd.DataFrame = field(repr=False)  # segment x feature: mean, median, sd, z
    stability: StabilityResult | None = field(default=None, repr=False)
    # what the report shows besides: the rank choice (reasons, per-feature R^2, the stability grid) and the
    # feature table the model was fit on (sorted by household)
    selection: dict = field(default_factory=dict, repr=False)
    features: pd.DataFrame | None = field(default=None, repr=False)

    def summary_frame(self) -> pd.DataFrame:
        """One row per segment: name, size, shares, tier, and (if run) bootstrap Jaccard stability."""
        out = self.profiles.copy()
        if self.stability is not None and len(self.stability.ari):
            jac = self.stability.segment_frame()[["segment", "jaccard_mean", "jaccard_p2.5", "jaccard_p97.5", "verdict"]]
            out = out.drop(columns=[c for c in jac.columns if c != "segment" and c in out]).merge(
                jac, on="segment", how="left")
        return out


def _check_config(cfg: SegmentConfig, n_features: int, n_rows: int) -> None:
    """The checks that need the data (the config checked its own ranges when it was built)."""
    if cfg.nmf_k_max > n_features or cfg.nmf_k > n_features:
        raise SegtargetError(f"config 'segments.nmf_k_max'/'nmf_k': at most the number of features ({n_features})")
    if n_rows < max(20, 3 * cfg.kmeans_k_max):
        raise SegtargetError(f"feature table: {n_rows} households are too few to segment into up to "
                             f"{cfg.kmeans_k_max} groups; use more households or lower segments.kmeans_k_max")


def _ranks(df: pd.DataFrame, features: tuple[str, ...], cfg: SegmentConfig, spec: SegmentSpec, seed: int,
           n_jobs: int, backend: str, progress=None) -> dict:
    """Both scans, the stability grid (if a rule asks for it) and the chosen ranks with their reasons."""
    from .transform import FeatureScaler

    X_raw = feature_matrix(df, features)
    X = scale_for_nmf(FeatureScaler(cfg.transform, cfg.skew_threshold).fit(X_raw), X_raw)
    nmf_scan = scan_factors(X, X_raw, range(cfg.nmf_k_min, cfg.nmf_k_max + 1), spec, seed=seed,
                            n_folds=cfg.nmf_cv_folds, n_jobs=n_jobs, backend=backend)
    grid, goal_met = None, None
    if cfg.nmf_rule == "stability" and cfg.nmf_k == 0:
        nmf_ks = list(range(cfg.nmf_k_min, min(cfg.stability_nmf_k_max, cfg.nmf_k_max) + 1))
        nmf_why = ""
    else:
        nmf_k, nmf_why = choose_nmf_k(nmf_scan, cfg.nmf_rule, cfg.nmf_r2_target, cfg.nmf_k, cfg.nmf_min_gain)
        nmf_ks = [nmf_k]
    ks = list(range(cfg.kmeans_k_min, cfg.kmeans_k_max + 1))
    if cfg.kmeans_rule == "stability" and cfg.kmeans_k == 0 or len(nmf_ks) > 1:
        grid = stability_grid(X_raw, X, nmf_ks, [cfg.kmeans_k] if cfg.kmeans_k else ks, spec, seed=seed,
                              n_boot=cfg.n_bootstrap_select, ari_min=cfg.stability_ari_min,
                              jaccard_min=cfg.stability_jaccard_min, n_jobs=n_jobs, backend=backend,
                              progress=progress)
        nmf_k, km_k, why, goal_met = choose_granularity(grid, cfg.stability_ari_min, cfg.stability_jaccard_min)
        nmf_why = nmf_why or f"chosen with the segment count by the stability grid: {why}"
    nmf, W = fit_nmf(X, nmf_k, seed, spec.nmf_max_iter, spec.minibatch)
    km_scan = scan_kmeans(W, range(cfg.kmeans_k_min, cfg.kmeans_k_max + 1), seed=seed, n_init=spec.kmeans_n_init,
                          n_jobs=n_jobs, backend=backend, minibatch=spec.minibatch)
    if grid is None:
        km_k, km_why = choose_kmeans_k(km_scan, cfg.kmeans_rule, cfg.prediction_strength_min, cfg.kmeans_k)
    else:
        km_why = f"fixed by configuration (segments.kmeans_k = {cfg.kmeans_k})" if cfg.kmeans_k else why
    return {"X_raw": X_raw, "X": X, "nmf_scan": nmf_scan, "nmf_k": nmf_k, "nmf_why": nmf_why,
            "feature_r2": feature_r2_frame(X, W @ nmf.components_, features), "kmeans_scan": km_scan,
            "kmeans_k": km_k, "kmeans_why": km_why, "grid": grid, "goal_met": goal_met}


def _headline(r: dict, model: SegmentModel, stab: StabilityResult | None, summary: pd.DataFrame,
              cfg: SegmentConfig) -> dict:
    row = r["nmf_scan"].set_index("k").reindex([r["nmf_k"]]).iloc[0]
    head = {
        "n_households": int(len(model.labels_)), "n_segments": int(model.n_segments),
        "nmf_k": int(r["nmf_k"]), "nmf_k_reason": r["nmf_why"],
        "kmeans_k": int(r["kmeans_k"]), "kmeans_k_reason": r["kmeans_why"],
        "nmf_explained_variance_flat": float(row["explained_variance_flat"]),
        "nmf_r2_heldout": float(row["r2_heldout"]),
        "segments": [(str(n), round(float(s), 4)) for n, s in zip(summary["name"], summary["share"])],
        "minibatch": bool(model.minibatch_), "transform": cfg.transform,
        "stability_goal_met_in_selection": r.get("goal_met"),
    }
    if stab is not None and len(stab.ari):
        jac = stab.segment_frame()
        head.update({"ari_mean": float(stab.ari.mean()), "ari_sd": float(stab.ari.std(ddof=1)),
                     "n_bootstrap": int(len(stab.ari)),
                     "unstable_segments": [model.names_.set_index("segment").loc[s, "name"]
                                           for s in jac.loc[jac["jaccard_mean"] < 0.6, "segment"]],
                     "jaccard_min": float(jac["jaccard_mean"].min()),
                     "tentative_segments": [int(s) for s in
                                            jac.loc[jac["jaccard_mean"] < cfg.stability_jaccard_min, "segment"]]})
        if len(stab.kmeans_only_ari):
            head["ari_kmeans_only_mean"] = float(stab.kmeans_only_ari.mean())
    return head


@renamed_keywords(seed="random_state")
def run_segments(features: pd.DataFrame, cfg: SegmentConfig, *, random_state: int, out: OutputDir, n_jobs: int = -1,
                 backend: str = "joblib", progress=None) -> tuple[SegmentationResult, list[Section]]:
    """:func:`compute_segments`, then write the model, tables and figures and return the report sections."""
    from .report import segments_sections

    result = compute_segments(features, cfg, seed=random_state, n_jobs=n_jobs, backend=backend, progress=progress)
    return result, segments_sections(result, out, cfg=cfg)


@single_threaded
def compute_segments(features: pd.DataFrame, cfg: SegmentConfig, *, seed: int, n_jobs: int = -1,
                     backend: str = "joblib", progress=None) -> SegmentationResult:
    """Track 1 on a household feature table (``household_id`` + features), in memory."""
    t0 = time.perf_counter()
    feats = resolve_features(cfg.features)
    check_feature_table(features, feats, "feature table")
    _check_config(cfg, len(feats), len(features))
    df = features.sort_values(ID, kind="stable").reset_index(drop=True)
    plan = plan_scale(len(df), cfg.scale_threshold)
    if progress:
        progress("segments: rank scans", 0.0)
    r = _ranks(df, feats, cfg, SegmentSpec.from_config(cfg, minibatch=plan.large), seed, n_jobs, backend, progress)
    r["scale_note"] = plan.segments_note()
    model = SegmentModel(feats, r["nmf_k"], r["kmeans_k"], seed, cfg.kmeans_n_init, cfg.nmf_max_iter,
                         cfg.revenue_feature, parse_overrides(cfg.names, cfg.names_file),
                         scale_threshold=cfg.scale_threshold, scaling=cfg.transform,
                         skew_threshold=cfg.skew_threshold).fit(df)
    if progress:
        progress("segments: rank scans", 1.0)
    W = model.scores_[list(model.factors_["factor"])].to_numpy()
    gmm = gmm_comparison(W, model.n_segments, model.labels_, seed, model.minibatch_)
    stab = None
    if cfg.n_bootstrap > 0:
        stab = bootstrap_stability(r["X_raw"], W, model.labels_, model.spec_, n_factors=model.n_factors,
                                   n_segments=model.n_segments, n_boot=cfg.n_bootstrap, random_state=seed,
                                   kmeans_only=cfg.bootstrap_kmeans_only, n_jobs=n_jobs, backend=backend,
                                   progress=progress)
    tentative: set[int] = set()
    if stab is not None and len(stab.ari):
        jac = stab.segment_frame()
        tentative = set(int(x) for x in jac.loc[jac["jaccard_mean"] < cfg.stability_jaccard_min, "segment"])
        model.names_["tentative"] = model.names_["segment"].isin(tentative)
        # Saved with the model: what assignment noise alone moves out of each segment (migration.py).
        model.summary_["reassignment_rate"] = stab.segment_reassignment(model.labels_)
        model.summary_["jaccard_mean"] = jac["jaccard_mean"].to_numpy()
    name_of = dict(zip(model.names_["segment"], model.names_["name"]))
    summary = model.summary_.assign(name=model.summary_["segment"].map(name_of))
    summary = summary[["segment", "name", *[c for c in summary.columns if c not in ("segment", "name")]]]
    prof_feats = numeric_features(df)
    labels = pd.DataFrame({ID: df[ID].to_numpy(), "segment": model.labels_,
                           "segment_name": [name_of[s] for s in model.labels_]})
    result = SegmentationResult(
        model=model, labels=labels, profiles=summary, names=model.names_,
        strategies=strategy_table(model.summary_, model.zscores_, model.names_, tentative),
        headline=_headline(r, model, stab, summary, cfg), nmf_scan=r["nmf_scan"], kmeans_scan=r["kmeans_scan"],
        gmm=gmm, anova=anova_table(df, model.labels_, prof_feats),
        profile_features=profile_long(df, model.labels_, prof_feats), stability=stab,
        selection={k: v for k, v in r.items() if k not in ("X_raw", "X")}, features=df)
    result.headline["seconds"] = round(time.perf_counter() - t0, 1)
    return result


def assign_segments(model_dir, features: pd.DataFrame) -> pd.DataFrame:
    """Label a household feature table with a saved model (household_id, segment, segment_name)."""
    return SegmentModel.load(model_dir).assign(features)


__all__ = ["SegmentationResult", "compute_segments", "run_segments", "assign_segments"]
