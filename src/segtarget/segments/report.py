"""Track 1 report sections (the segments, how they were chosen, their migration by quarter): writes every table
and figure once, then points the report at them."""

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

METHOD_MIGRATION = (
    "Every household with a purchase in a calendar quarter gets that quarter's features (recency measured from "
    "the quarter's last day) and is assigned with a segmentation fit at quarter level: Track 1's features, "
    "transform, NMF rank and number of segments refit on all household-quarters, because three months of "
    "spend are not comparable with a model fit on a year. The transition matrix counts households by segment in "
    "one quarter and the next ('(no purchase)' = no purchase that quarter); revenue moved is the earlier-quarter "
    "spend of households that changed segment. A household is uncertain when its distance to the nearest "
    "centroid is at least the configured share of its distance to the second nearest (it sits near a border). "
    "Expected noise moves: what the bootstrap reassignment rate of each segment (border uncertainty of the "
    "model) would move with no change in behaviour. At risk: households whose segment's value tier fell in the "
    "last quarter, or who stopped buying from a High/Medium segment."
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


@single_threaded
def segments_sections(result, out: OutputDir, *, cfg: SegmentConfig) -> list[Section]:
    """Save the model under ``model/``, write Track 1's tables and figures from ``result`` and return both
    sections (segments first, then how they were chosen)."""
    result.model.save(out.root / "model")
    r = result.selection
    return [_segments_section(result, result.features, cfg, out, r.get("scale_note", "")),
            _choice_section(result, r, cfg, out)]


def _pct(x: float) -> str:
    return "n/a" if pd.isna(x) else f"{x:.0%}"


def migration_sections(run, out: OutputDir, *, figures: bool = True) -> list[Section]:
    """Save the quarter-level model of ``run`` (a ``migration_run.MigrationRun``) under ``model_quarterly/``,
    write the migration tables (and flow figure) and return the section; a skipped run gets a section that only
    says why."""
    from .migration import INACTIVE
    from .plots_migration import flows

    if run.skipped:
        return [Section(key="migration", title="Track 1: segment migration by quarter", method_note="",
                        warnings=[run.skipped])]
    res, model = run.result, run.model
    model.save(out.root / "model_quarterly")
    order = list(model.names_.sort_values("segment")["name"]) + [INACTIVE]
    last = res.summary.iloc[-1]
    n_risk, n_risk_unc = len(res.at_risk), int(res.at_risk["uncertain"].sum()) if len(res.at_risk) else 0
    text = (f"<p>{len(res.summary) + 1} quarters. From {last['from_quarter']} to {last['to_quarter']}: "
            f"{int(last['moves']):,} of {int(last['active_both']):,} households active in both quarters changed "
            f"segment ({_pct(last['move_share'])}); {_pct(last['uncertain_share_of_moves'])} of these moves involve "
            f"a household near a segment border, and border uncertainty alone would produce about "
            f"{last['expected_noise_moves']:,.0f} moves ({_pct(last['noise_share'])} of those observed). "
            f"{n_risk:,} households are at risk (value tier fell or stopped buying; {n_risk_unc:,} of them "
            f"uncertain).</p>")
    matrix = res.matrix(last["from_quarter"]).reindex(index=order, columns=order, fill_value=0).reset_index()
    blocks = [
        Text(text),
        Table(name="migration_summary", df=res.summary.round(4), caption="Moves per quarter pair and the noise benchmark.",
              csv=out.table("migration_summary", res.summary)),
        Table(name="migration_matrix_last", df=matrix,
              caption=f"Households by segment, {last['from_quarter']} (rows) to {last['to_quarter']} (columns).",
              csv=out.table("migration_matrix_last", matrix)),
        Table(name="migration_matrix", df=res.transitions.round(4), max_rows=40,
              caption="All transitions: households, row share and revenue moved, per quarter pair.",
              csv=out.table("migration_matrix", res.transitions)),
        Table(name="at_risk", df=res.at_risk.round(2), max_rows=20,
              caption="At risk: value tier fell in the last quarter (largest previous spend first).",
              csv=out.table("at_risk", res.at_risk)),
    ]
    out.table("migration_assignments", res.assignments)
    if figures:
        blocks.insert(1, Figure(name="migration_flows", path=out.figure("migration_flows", flows(res.transitions, order)),
                                caption="Households per segment by quarter and the flows between them."))
    warnings = []
    if pd.notna(last["noise_share"]) and last["noise_share"] >= 0.5:
        warnings.append(f"Half or more of the moves {html.escape(str(last['from_quarter']))}→"
                        f"{html.escape(str(last['to_quarter']))} could be assignment noise; act on moves of "
                        "households that are not flagged uncertain.")
    return [Section(key="migration", title="Track 1: segment migration by quarter", method_note=METHOD_MIGRATION,
                    blocks=blocks, warnings=warnings,
                    headline={"moves_share_last": float(last["move_share"]), "at_risk": n_risk,
                              "facts": [(f"Changed segment {last['from_quarter']}→{last['to_quarter']}",
                                         f"{_pct(last['move_share'])} of active households "
                                         f"({_pct(last['uncertain_share_of_moves'])} of moves near a border)"),
                                        ("Households at risk", f"{n_risk:,}")]})]
