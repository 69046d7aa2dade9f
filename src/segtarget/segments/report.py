"""Track 1 report sections: writes every table and figure once, then points the report at them."""

from __future__ import annotations

import html

import pandas as pd

from ..io import OutputDir
from ..report.section import Figure, Section, Table, Text
from ..threads import single_threaded
from .config import SegmentConfig
from .factors import loadings_frame
from .stability import hennig_verdict

METHOD_SEGMENTS = (
    "Households are described by the configured features, scaled to [0, 1] (by default heavy-tailed features "
    "such as spend, visits and recency are first log-transformed, so a few extreme households do not squeeze "
    "everyone else into a corner) and factorised by NMF into "
    "non-negative factor scores W and loadings H. K-Means (k-means++, several restarts) groups households on W. "
    "Segment numbers are canonical (0 = largest). Names and strategies come from written-down rules on the "
    "profile z-scores (segment mean minus the mean of all other households, in household standard deviations) "
    "and on value tiers (revenue tertiles of all households); the reason for every name is shown. This is a "
    "descriptive segmentation: it says who the customers are, not whom a campaign changes (Track 2)."
)

METHOD_CHOICE = (
    "The number of segments is a business choice within a configured range; inside it, every candidate "
    "(NMF rank, number of segments) is refit on bootstrap resamples and the choice goes to stable candidates "
    "first (mean ARI and every segment's mean Jaccard at least the configured bar), then to the best clustering "
    "indexes. The stability shown for the chosen segments is re-measured on fresh resamples. "
    "Both ranks are also scanned with the classic measures. For NMF the reference's 'explained variance' "
    "(flattened over all matrix entries) is shown next to the mean per-feature R², in sample and on held-out "
    "households (scaler and NMF fitted without them, scores solved with the loadings fixed). For K-Means the "
    "scan shows silhouette, Calinski–Harabasz, Davies–Bouldin, inertia and the held-out prediction strength. "
    "Stability: each bootstrap resample refits the whole pipeline (scaler, NMF, K-Means) and labels all "
    "households; ARI compares with the reported segments and Hennig's Jaccard says, per segment, whether it "
    "reappears. The reference's cheaper check (K-Means only on fixed factor scores) is shown for comparison."
)


def _tbl(out: OutputDir, name: str, df: pd.DataFrame, caption: str, max_rows: int = 30) -> Table:
    return Table(name=name, df=df, caption=caption, csv=out.table(name, df), max_rows=max_rows)


def _fig(out: OutputDir, name: str, draw, caption: str, enabled: bool = True) -> list[Figure]:
    """Draw (lazily, only if figures are enabled), save, and return the block as a 0- or 1-item list."""
    return [Figure(name=name, path=out.figure(name, draw()), caption=caption)] if enabled else []


def _round(df: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    return df.round({c: digits for c in df.columns if pd.api.types.is_float_dtype(df[c])})


def _choice_section(result, r: dict, cfg: SegmentConfig, out: OutputDir) -> Section:
    from . import plots_migration
    from . import plots_selection as ps

    model = result.model
    H = model.nmf_.components_
    flabels = [f"{f} {n}" for f, n in zip(model.factors_["factor"], model.factors_["name"])]
    blocks = [
        Text(f"<p><b>NMF rank k = {r['nmf_k']}</b>: {html.escape(r['nmf_why'])}. "
             f"<b>Segments k = {r['kmeans_k']}</b>: {html.escape(r['kmeans_why'])}.</p>"),
        _tbl(out, "segments_nmf_scan", _round(r["nmf_scan"]), "NMF rank scan (definitions in the method note)."),
        *_fig(out, "segments_nmf_selection", lambda: ps.factor_selection(r["nmf_scan"], r["nmf_k"], cfg.nmf_r2_target),
              "Reconstruction error, two definitions of explained variance, and sparsity by NMF rank.", cfg.figures),
        _tbl(out, "segments_nmf_feature_r2", _round(r["feature_r2"]),
             f"In-sample R² of each feature under the chosen k = {r['nmf_k']} factors."),
        _tbl(out, "segments_factors", model.factors_, "Factors named by their two strongest loading themes."),
        _tbl(out, "segments_loadings", _round(loadings_frame(H, model.features, list(model.factors_["factor"]))),
             "NMF loadings H."),
        *_fig(out, "segments_loadings_heatmap", lambda: ps.loadings_heatmap(H, model.features, flabels), "NMF loadings.",
              cfg.figures),
        _tbl(out, "segments_kmeans_scan", _round(r["kmeans_scan"]), "K-Means scan on the factor scores."),
        *_fig(out, "segments_clustering_metrics",
              lambda: ps.clustering_metrics(r["kmeans_scan"], r["kmeans_k"], cfg.prediction_strength_min),
              "Clustering indexes by k (dashed: chosen k).", cfg.figures),
        _tbl(out, "segments_gmm_comparison", _round(result.gmm),
             "K-Means versus a full-covariance Gaussian mixture at the same k."),
    ]
    grid = r.get("grid")
    if grid is not None:
        blocks[1:1] = [
            _tbl(out, "segments_stability_by_k", _round(grid),
                 "Stability by candidate: full-pipeline bootstrap ARI, smallest per-segment Jaccard, segments "
                 "reaching the bar, and indexes in the scaled feature space (segments/granularity.py)."),
            *_fig(out, "segments_stability_by_k",
                  lambda: plots_migration.stability_curve(grid, cfg.stability_ari_min, cfg.stability_jaccard_min,
                                                          (r["nmf_k"], r["kmeans_k"])),
                  "Stability versus number of segments (dashed: the bar; dotted: chosen k).", cfg.figures)]
    warnings = []
    if r.get("goal_met") is False:
        warnings.append("No candidate segmentation in the configured range is stable; the most reproducible one "
                        "is shown and its unstable segments are marked tentative.")
    row = r["nmf_scan"].set_index("k").loc[r["nmf_k"]]
    if not bool(row["converged"]):
        warnings.append(f"NMF at k = {r['nmf_k']} hit the iteration cap ({cfg.nmf_max_iter}); raise segments.nmf_max_iter.")
    stab = result.stability
    if stab is not None and len(stab.ari):
        names = dict(zip(model.names_["segment"], model.names_["name"]))
        jac = stab.segment_frame(names)
        blocks += [
            _tbl(out, "segments_stability", _round(stab.summary_frame()),
                 "Bootstrap ARI to the reported segments: full-pipeline refit versus the reference's K-Means-only variant."),
            _tbl(out, "segments_stability_jaccard", _round(jac),
                 "Per-segment Jaccard stability (Hennig): mean and 95% percentile range over resamples, share of "
                 "resamples in which the segment dissolved (Jaccard ≤ 0.5)."),
            *_fig(out, "segments_bootstrap_stability",
                  lambda: ps.stability(stab.ari, stab.kmeans_only_ari, stab.jaccard,
                                       [names[s] for s in range(model.n_segments)]),
                  "Bootstrap stability: ARI distributions and per-segment Jaccard.", cfg.figures),
        ]
        for _, j in jac.iterrows():
            if j["jaccard_mean"] < cfg.stability_jaccard_min:
                warnings.append(f"Segment '{html.escape(str(j['name']))}' is not stable under resampling (mean "
                                f"Jaccard {j['jaccard_mean']:.2f} < {cfg.stability_jaccard_min:.2f}, "
                                f"{hennig_verdict(j['jaccard_mean'])}); it is marked tentative.")
    return Section(key="segments_choice", title="Track 1: how the segments were chosen and how stable they are",
                   method_note=METHOD_CHOICE, blocks=blocks, warnings=warnings, headline={})


def _segments_section(result, df: pd.DataFrame, cfg: SegmentConfig, out: OutputDir, scale_note: str = "") -> Section:
    from . import plots_segments as pg

    model = result.model
    names = dict(zip(model.names_["segment"], model.names_["name"]))
    fnames = dict(zip(model.factors_["factor"], model.factors_["name"]))
    z = model.zscores_
    heat_feats = [f for f in model.features if f in z.columns]
    blocks = [
        _tbl(out, "segments_profiles", _round(result.profiles), "Segments: size, revenue, value tier, dominant factor."),
        *_fig(out, "segments_sizes", lambda: pg.segment_sizes(result.profiles, names), "Segment sizes.", cfg.figures),
        _tbl(out, "segments_names", model.names_, "Segment names and the rule that produced each."),
        _tbl(out, "segments_strategies", _round(result.strategies),
             "Playbook per segment: objective, offer type, channel and KPI from written-down rules (descriptive; "
             "Track 2 tests what works). Tentative = not stable under resampling."),
        *_fig(out, "segments_profile_heatmap", lambda: pg.profile_heatmap(z, heat_feats, names),
              "Profile z-scores of the segmentation features.", cfg.figures),
        *_fig(out, "segments_factor_scores",
              lambda: pg.factor_scores_by_segment(model.scores_, model.labels_, fnames, names),
              "Factor scores by segment.", cfg.figures),
        _tbl(out, "segments_profile_features", _round(result.profile_features),
             "Mean, median, sd and z of every feature in every segment.", max_rows=40),
        _tbl(out, "segments_anova", _round(result.anova),
             "One-way ANOVA per feature across segments (Holm-adjusted p, eta² effect size)."),
    ]
    blocks += _fig(out, "segments_bubbles",
                   lambda: pg.bubble_charts(df, model.labels_, model.scores_, model.nmf_.components_, model.features,
                                            fnames, names),
                   "Bubble charts A–H (reference_spec §2.7): segment means, area = share of households. A–C use the "
                   "factors whose loadings match loyal/deal, loyal/big-basket and fresh/H&B.", cfg.figures)
    out.table("segments_labels", result.labels)
    warnings = [f"Segment '{names[s]}' holds only {sh:.1%} of households."
                for s, sh in zip(result.profiles["segment"], result.profiles["share"]) if sh < 0.05]
    if result.gmm["ari_vs_kmeans"].iloc[-1] < 0.5:
        warnings.append("A Gaussian mixture at the same k disagrees with K-Means (ARI "
                        f"{result.gmm['ari_vs_kmeans'].iloc[-1]:.2f}); segment borders are soft.")
    share_txt = ", ".join(f"{html.escape(n)} {s:.0%}" for n, s in result.headline["segments"])
    blocks.insert(0, Text(f"<p>{result.headline['n_segments']} segments of {result.headline['n_households']:,} "
                          f"households: {share_txt}.</p>"))
    if scale_note:  # above segments.scale_threshold: online estimators (segtarget.scale)
        blocks.insert(1, Text(f"<p><b>Scale:</b> {html.escape(scale_note)}</p>"))
    method = f"{METHOD_SEGMENTS} {scale_note}" if scale_note else METHOD_SEGMENTS
    return Section(key="segments", title="Track 1: customer segments", method_note=method, blocks=blocks,
                   warnings=warnings, headline=_summary_headline(result))


def _summary_headline(result) -> dict:
    """The executive-summary keys of ``report/summary.py``: a segments table and a few facts."""
    strat = result.strategies.set_index("segment")["strategy"]
    segs = result.profiles[["segment", "name", "share", "revenue_share"]].assign(
        strategy=lambda d: d["segment"].map(strat))
    h = result.headline
    facts = [("Segments", f"{h['n_segments']} (NMF rank {h['nmf_k']})")]
    if "ari_mean" in h:
        facts.append(("Segment stability (bootstrap ARI)", f"{h['ari_mean']:.2f} ± {h['ari_sd']:.2f}"))
    return {"segments": segs, "facts": facts}


def build_sections(result, df: pd.DataFrame, r: dict, cfg: SegmentConfig, out: OutputDir) -> list[Section]:
    """Both Track 1 sections (segments first, then how they were chosen)."""
    return [_segments_section(result, df, cfg, out, r.get("scale_note", "")), _choice_section(result, r, cfg, out)]


__all__ = ["build_sections"]


@single_threaded
def segments_report(result, cfg: SegmentConfig, out: OutputDir) -> list[Section]:
    """Save the model under ``model/``, write Track 1's tables and figures from ``result``, return the sections."""
    result.model.save(out.root / "model")
    return build_sections(result, result.features, result.selection, cfg, out)
