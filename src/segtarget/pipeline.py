"""The one run: data → features → segments → study design → ATE → CATE → policy → report.

Each step is timed; the expensive ones are cached by input fingerprint + the config they depend on
(``cache.py``), so a re-run that changes only cost or margin recomputes only the policy step. Everything
is written into a temporary directory that replaces ``out`` only when the run succeeds.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from . import __version__
from .cache import StageCache, stage_key
from .config import Config, config_to_dict
from .errors import SegtargetError
from .io import OutputDir, atomic_output_dir

PRIMARY = "purchase_amount"
MIN_HOUSEHOLDS = 20  # segments and a treated/control comparison need at least this many households
CATE_OUTCOMES = ("purchase_amount", "purchase_count")


@dataclass
class RunLog:
    """Timings and notes collected while the run proceeds."""

    timings: dict[str, float] = field(default_factory=dict)
    progress: Callable[[str, float], None] | None = None
    announce: Callable[[str], None] = lambda msg: None

    @contextmanager
    def step(self, name: str):
        self.announce(name)
        t0 = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - t0, 2)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "segtarget": __version__}
    for pkg in ("numpy", "pandas", "scikit-learn", "duckdb", "econml", "lightgbm", "optuna", "matplotlib"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "missing"
    return out


def _pre_period_segments(tables, cohort, seg_result, cfg: Config, root: Path, log: RunLog):
    """A segmentation fit on look-back features only, so Track 2 never sees post-campaign behaviour.

    Track 1 describes the whole year; its features include the campaign weeks. For targeting we refit the
    same pipeline (same feature set and k's as Track 1) on features over the look-back window before the
    first trial with a full-length look-back, and assign every cohort unit from the features of its own
    look-back (stored in the cohort, so a household in two trials can sit in two segments).
    """
    from .features import compute_features
    from .segments.pipeline import run_segments

    w = cohort.windows.sort_values("start_date")
    if "short_history" in w and (~w["short_history"].astype(bool)).any():
        w = w[~w["short_history"].astype(bool)]
    w = w.iloc[0]
    feats = compute_features(tables, start=w.lookback_start, end=w.start_date, reference_point="window_end")
    head = seg_result.headline
    seg_cfg = dataclasses.replace(cfg.segments, n_bootstrap=0, figures=False, nmf_k=int(head["nmf_k"]),
                                  kmeans_k=int(head["kmeans_k"]))
    res, _ = run_segments(feats, seg_cfg, seed=cfg.run.seed, out=OutputDir(root / "track2_segments"),
                          n_jobs=cfg.run.n_jobs, backend=cfg.run.parallel_backend)
    return res.model


def _key_results(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(first-screen table, raw CSV): the key results exactly as written to ``tables/key_results.csv``."""
    raw = pd.read_csv(path)
    shown = pd.DataFrame({
        "scenario": raw["scenario"], "n_targeted": raw["n_targeted"], "share": raw["share"],
        "profit": raw["profit"], "profit_ci": list(zip(raw["ci_lower"], raw["ci_upper"])), "roi": raw["roi"],
        "roi_ci": [(np.nan, np.nan)] * len(raw), "method": raw["method"]})
    return shown, raw


def _migration(tables, seg_result, cfg: Config, od: OutputDir):
    """Track 1 migration: the Track-1 model's settings at quarter level, moves and at-risk households."""
    from .segments.migration_run import run_migration
    from .segments.quarters import quarterly_features

    from .report.section import Section

    sc = cfg.segments
    try:
        by_quarter = quarterly_features(tables, f"data {tables.source}")
        _, _, section = run_migration(seg_result.model, by_quarter, od, uncertain_ratio=sc.migration_uncertain_ratio,
                                      n_boot=sc.migration_n_bootstrap, n_jobs=cfg.run.n_jobs,
                                      backend=cfg.run.parallel_backend, figures=sc.figures)
    except SegtargetError as exc:  # e.g. under two quarters of data: the rest of the run still stands
        return Section(key="migration", title="Track 1: segment migration by quarter", method_note="",
                       warnings=[f"Segment migration skipped: {exc}"])
    return section


def executive_summary(facts: list[tuple[str, str]], seg, ate_res, pol, warnings: list[str],
                      tables_dir: Path | None = None, triangulation: str | None = None):
    """The report's first screen from the stage results (any of seg / ate_res / pol may be None).

    The verdict, the cost assumption and the key results are read back from ``key_results.csv`` so the
    first screen shows exactly the numbers of the table below it.
    """
    from .report.summary import ExecutiveSummary

    segs = None
    if seg is not None:
        prof = seg.profiles
        strat = seg.strategies.set_index("segment")["strategy"] if "strategy" in seg.strategies else None
        segs = pd.DataFrame({"segment": prof["segment"], "name": prof["name"], "share": prof["share"],
                             "revenue_share": prof["revenue_share"],
                             "strategy": prof["segment"].map(strat) if strat is not None else ""})
    ate = {o: {k: h[k] for k in ("method", "estimand", "estimate", "ci_lower", "ci_upper")}
           for o, h in ate_res.headline.items()} if ate_res is not None else None
    keys = verdict = assumption = improvement = None
    tone = "neutral"
    if pol is not None:
        path = (tables_dir / "key_results.csv") if tables_dir is not None else None
        keys, raw = _key_results(path) if path is not None and path.is_file() else (None, pol.key_results)
        verdict, assumption = str(raw["verdict_sentence"].iloc[0]), str(raw["assumption"].iloc[0])
        g = raw.iloc[-1]
        sign = lambda v: f"{'+' if v >= 0 else '−'}${abs(v):,.0f}"
        improvement = (f"{g['scenario']}: {sign(g['profit'])} (95% CI {sign(g['ci_lower'])} to "
                       f"{sign(g['ci_upper'])}); chosen on K-1 folds, valued on the held-out fold")
        tone = "good" if g["ci_lower"] > 0 else "bad" if g["ci_upper"] < 0 else "neutral"
    return ExecutiveSummary(key_results=keys, improvement=improvement, segments=segs, ate=ate,
                            warnings=warnings, facts=facts, verdict=verdict, assumption=assumption,
                            triangulation=triangulation or None, improvement_tone=tone)


def _policy_scores(tables, cohort, X, T, ate_res, cfg: Config, seed: int):
    """AIPW scores of sales, of the retailer-funded discount and of the placebo outcome (sales in the 4 weeks
    before the index campaign, which no campaign can move), averaged over the ATE's number of splits."""
    from .policy.cost_data import pre_campaign_sales

    from .policy.profit import averaged_scores, check_discount_columns, discount_columns

    check_discount_columns(cohort.data, cfg.policy.coupons_retailer_funded)
    Y = {"sales": cohort.data[PRIMARY].to_numpy(float)}
    Y.update({c: cohort.data[c].to_numpy(float) for c in discount_columns(cfg.policy.coupons_retailer_funded)})
    Y["placebo"] = pre_campaign_sales(tables, cohort.data, cohort.windows)
    # As many splits as the ATE of the primary outcome needed (it stops once further splits stop moving it).
    repeats = cfg.policy.score_repeats or int(ate_res.headline[PRIMARY].get("splits", cfg.ate.crossfit_repeats))
    return averaged_scores(Y, T, X, {"sales": ate_res.nuisances[PRIMARY]}, groups=cohort.data["household_id"],
                           repeats=repeats, n_folds=cfg.ate.folds, seed=seed, clip=(cfg.ate.clip, 1 - cfg.ate.clip))


def _nested_cate(cohort, X, T, res, cfg: Config, seed: int):
    """The selected CATE model's nested out-of-fold CATE on the CATE's folds (causal/cate/nested.py), so the
    policy step's fold-by-fold choice never rests on a CATE that saw the fold it is valued on. None when the
    CATE was fit on a sample of the cohort (scale path): the policy then uses the plain out-of-fold CATE."""
    from .causal.cate.nested import nested_oof_cate

    oof = res.oof
    if len(oof) != len(cohort.data) or res.selected not in res.params:
        return None
    return nested_oof_cate(res.selected, res.params[res.selected], seed, cohort.data[PRIMARY].to_numpy(float), T,
                           X.to_numpy(float), res.nuisances.folds,
                           (oof["cate"].to_numpy(), oof["cate_lower"].to_numpy(), oof["cate_upper"].to_numpy()),
                           n_jobs=cfg.run.n_jobs, backend=cfg.run.parallel_backend)


def _policy_inputs(tables, cohort, X, T, res, scores, cohort_segments, cost_table, nested=None):
    from .policy.cost_data import typea_contacts_per_week
    from .policy.pipeline import PolicyInputs

    oof, d = res.oof, cohort.data
    autoc = res.split_rate.autoc
    return PolicyInputs(
        household_id=d["household_id"].to_numpy(), Y=d[PRIMARY].to_numpy(float), T=T, X=X,
        cate=oof["cate"].to_numpy(), cate_lower=oof["cate_lower"].to_numpy(),
        cate_upper=oof["cate_upper"].to_numpy(), scores=scores, folds=res.nuisances.folds,
        propensity=res.nuisances.e_raw, rate_estimate=autoc.estimate, rate_se=autoc.se,
        index_campaign=d["index_campaign"].to_numpy(),
        segment=cohort_segments["segment_name"].reset_index(drop=True),
        pre_spend=d["pre_spend_week"].to_numpy(float), cost_data=cost_table(tables, d),
        contacts_per_week=typea_contacts_per_week(tables),
        cate_nested=None if nested is None else nested.cate,
        cate_lower_nested=None if nested is None else nested.lower)


def run_pipeline(cfg: Config, *, out: str | Path | None = None, log: RunLog | None = None) -> Path:
    """Run everything and return the path of ``report.html``."""
    from .causal.ate.pipeline import run_ate
    from .causal.cate.pipeline import run_cate
    from .causal.design.study import build_design
    from .causal.design.refute import refute_design
    from .causal.design.report import cohort_table, design_section, refutation_section
    from .data import connect, load_source
    from .features import compute_features
    from .features.summary import data_sections
    from .policy.cost_data import cost_table
    from .policy.pipeline import run_policy
    from .policy.targets import write_targets
    from .report.render import render_report
    from .segments.pipeline import run_segments

    log = log or RunLog()
    out = Path(out or cfg.run.out)
    cache = StageCache(cfg.run.cache_dir, enabled=cfg.run.use_cache)
    seed = cfg.run.seed
    with atomic_output_dir(out) as root:
        od = OutputDir(root)
        sections, warnings = [], []
        with log.step("data"):
            fc = cfg.features
            con = connect(fc.memory_limit, fc.threads, fc.temp_directory)
            tables = load_source(cfg.data.source, con=con)
            fp = tables.fingerprint
            n_households = int(tables.overview().iloc[0]["households"])
            if n_households < MIN_HOUSEHOLDS:
                raise SegtargetError(f"data {tables.source}: too few households: {n_households} households with "
                                     f"usable transactions; the run needs at least {MIN_HOUSEHOLDS}")
        with log.step("design"):
            k_design = stage_key(fp, cfg.design)
            cohort = cache.run("design", k_design, root, lambda: build_design(tables, cfg.design))
        with log.step("features"):
            k_feat = stage_key(fp, cfg.features, cfg.data)
            feats = cache.run("features", k_feat, root, lambda: compute_features(
                tables, start=cfg.data.start, end=cfg.data.end,
                exposure=None if cfg.features.exposure else False))
            sections += data_sections(tables, feats, od)
        with log.step("segments"):
            k_seg = stage_key(k_feat, cfg.segments, seed)
            seg, seg_sections = cache.run("segments", k_seg, root, lambda: run_segments(
                feats, cfg.segments, seed=seed, out=od, n_jobs=cfg.run.n_jobs, backend=cfg.run.parallel_backend,
                progress=log.progress))
            sections += seg_sections
        if cfg.segments.migration:
            with log.step("migration"):
                sections.append(cache.run("migration", stage_key(k_seg, "migration"), root,
                                          lambda: _migration(tables, seg, cfg, od)))
        sections.append(design_section(cohort, od))
        with log.step("ate"):
            k_ate = stage_key(k_design, cfg.ate, seed)
            ate_res, ate_sections = cache.run("ate", k_ate, root, lambda: run_ate(
                cohort.data, treatment="treated", outcomes=list(CATE_OUTCOMES), covariates=list(cohort.covariates),
                cfg=cfg.ate, seed=seed, out=od, label="campaign cohort", groups=cohort.data["household_id"].to_numpy(),
                strata=cohort.data["index_campaign"].to_numpy()))
            sections += ate_sections
            warnings += ate_res.warnings
            od.table("cohort", cohort_table(cohort, ate_res.nuisances[PRIMARY].e_raw, cfg.ate.overlap_band))
        if cohort.design == "campaign-trials":
            with log.step("design refutations"):
                method = ate_res.headline[PRIMARY]["method"]
                refutations = cache.run("design-refutations", stage_key(k_ate, method), root,
                                        lambda: refute_design(tables, cfg.design, method, cfg.ate, seed))
                sections.append(refutation_section(refutations, od))
                warnings += sections[-1].warnings
        ate_end = len(sections)  # the event-study section goes right after the ATE sections
        cate = {}
        with log.step("cate"):
            X = cohort.data[list(ate_res.covariates)]
            T = cohort.data["treated"].to_numpy()
            for o in CATE_OUTCOMES:
                k_cate = stage_key(k_ate, cfg.cate, o)
                cate[o] = cache.run(f"cate-{o}", k_cate, root, lambda o=o: run_cate(
                    cohort.data[o].to_numpy(float), T, X, nuisances=ate_res.nuisances[o], cfg=cfg.cate, seed=seed,
                    out=od, outcome=o, n_jobs=cfg.run.n_jobs, progress=log.progress,
                    groups=cohort.data["household_id"].to_numpy()))
                sections += cate[o][1]
                warnings += cate[o][0].warnings
        with log.step("pre-period segments"):
            k_pre = stage_key(k_seg, k_design)
            pre_model = cache.run("pre-segments", k_pre, root,
                                  lambda: _pre_period_segments(tables, cohort, seg, cfg, root, log))
            # One assignment per unit (a household in two trials has two look-backs): the model wants unique
            # ids, so units get row numbers for the call and keep their order.
            cohort_segments = pre_model.assign(cohort.data.assign(household_id=np.arange(len(cohort.data))))
        es_run = _event_study_step(tables, cohort, ate_res, cohort_segments, cfg, cache, root, od, log,
                                   stage_key(k_ate, k_pre, cfg.event_study), warnings)
        if es_run is not None:
            sections[ate_end:ate_end] = es_run[1]
            warnings += es_run[1][0].warnings
        with log.step("policy scores"):
            # not the cost or the margin: those only recombine the scores in the policy step
            k_scores = stage_key(k_ate, cfg.policy.score_repeats, cfg.policy.coupons_retailer_funded)
            scores = cache.run("policy-scores", k_scores, root,
                               lambda: _policy_scores(tables, cohort, X, T, ate_res, cfg, seed))
        with log.step("policy cate"):
            nested = cache.run("policy-cate", stage_key(k_ate, cfg.cate, PRIMARY, "nested"), root,
                               lambda: _nested_cate(cohort, X, T, cate[PRIMARY][0], cfg, seed))
        with log.step("policy"):
            res = cate[PRIMARY][0]
            pol, pol_sections = run_policy(
                _policy_inputs(tables, cohort, X, T, res, scores, cohort_segments, cost_table, nested),
                cfg.policy, seed=seed, out=od, outcome=PRIMARY)
            sections += pol_sections
            warnings += pol.warnings
        with log.step("targets"):
            targets = _next_campaign_targets(tables, cohort, list(ate_res.covariates), res, pre_model, pol, cfg,
                                             ate_res.nuisances[PRIMARY].ps_model)
            write_targets(targets, root / "targets.csv", pol.verdict.sentence, pol.economics.assumption_line())
        with log.step("report"):
            manifest = {"segtarget": __version__, "config": config_to_dict(cfg), "versions": _versions(),
                        "input_fingerprint": fp, "timings_seconds": log.timings, "cache_hits": cache.hits,
                        "seed": seed}
            ov = tables.overview().iloc[0]
            facts = [("Data source", tables.source), ("Households", f"{ov.households:,}"),
                     ("Period", f"{pd.Timestamp(ov.first_date):%Y-%m-%d} – {pd.Timestamp(ov.last_date):%Y-%m-%d}"),
                     ("Sales value", f"${ov.sales_value:,.0f}")]
            summary = executive_summary(facts, seg, ate_res, pol, warnings, tables_dir=root / "tables",
                                        triangulation=es_run[0].sentence if es_run is not None else None)
            render_report(sections, root=root, summary=summary, manifest=manifest)
        log.timings["total"] = round(sum(v for k, v in log.timings.items() if k != "total"), 2)
        (root / "manifest.json").write_text(json.dumps(manifest | {"timings_seconds": log.timings}, indent=2,
                                                       default=str))
    return out / "report.html"


def _event_study_step(tables, cohort, ate_res, cohort_segments, cfg: Config, cache, root: Path, od, log: RunLog,
                      key: str, warnings: list[str]):
    """Panel event study + triangulation on the study design's units.

    None when event_study.enabled is off, or (with a warning) when the design leaves it nothing to estimate:
    the event study is a second opinion and must not stop the run."""
    if not cfg.event_study.enabled:
        return None
    from .causal.event.pipeline import run_event_study
    from .causal.event.panel import design_units

    with log.step("event study"):
        try:
            return cache.run("event-study", key, root, lambda: run_event_study(
                tables, design_units(cohort.data, cohort.windows), cfg.event_study, od,
                segment=cohort_segments["segment_name"].to_numpy(), ate_table=ate_res.ate,
                ate_headline=ate_res.headline, outcome_scale=getattr(cohort, "outcome_scale", "window total")))
        except SegtargetError as exc:
            warnings.append(f"event study skipped: {exc}")
            return None


def _next_campaign_targets(tables, cohort, covariates: list[str], cate_res, pre_model, pol, cfg: Config,
                           ps_model: str) -> pd.DataFrame:
    """Score every current household from features built exactly as in the design's look-back.

    The look-back window has the design's length and ends the day after the last transaction; recency is
    measured from the window end (``reference_point="window_end"``), households without a basket in it get
    the design's explicit zeros, and index-campaign dummies stay 0 (the reference campaign's level).
    Households that the ATE's propensity learner puts outside the overlap band get "test first".
    """
    from datetime import timedelta

    from .causal.cate.zoo import effect_with_interval
    from .causal.design.covariates import covariates_at
    from .data.db import first_row
    from .policy.targets import build_target_list

    last = first_row(tables.con, "SELECT max(date) FROM clean_transactions")[0]
    feats = covariates_at(tables, last + timedelta(days=1), cohort.lookback_days)
    # Trial dummies stay 0: the next campaign is scored at the reference (first) trial's level.
    X = pd.DataFrame({c: feats[c] if c in feats else 0.0 for c in covariates})
    cate, lower, upper = effect_with_interval(cate_res.final_model, X)
    segs = pre_model.assign(feats)
    e = _propensity_for(cohort, covariates, X, ps_model, cfg.run.seed)
    lo, hi = cfg.policy.overlap
    return build_target_list(feats["household_id"].to_numpy(), segs["segment_name"].to_numpy(), cate, lower, upper,
                             breakeven=pol.economics.breakeven, rule=pol.target_rule,
                             in_overlap=(e >= lo) & (e <= hi), verdict=pol.verdict.kind)


def _propensity_for(cohort, covariates: list[str], X: pd.DataFrame, ps_model: str, seed: int) -> np.ndarray:
    """Propensity of new households for the overlap flag, from the learner the cross-fitted ATE selected.

    The band that splits the cohort into "valued" and "test first" is defined on that learner's out-of-fold
    propensities; scoring new households with another model family (it used to be a logistic regression
    whatever the ATE chose) would draw the band in a different place."""
    from sklearn.base import clone

    from .causal.nuisance import propensity_candidates

    model = clone(propensity_candidates(seed)[ps_model])
    model.fit(cohort.data[covariates].to_numpy(float), cohort.data["treated"].to_numpy(int))
    return model.predict_proba(X.to_numpy(float))[:, 1]
