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
    first index campaign, and assign every cohort household from its own look-back window of that length.
    """
    from .features import compute_features
    from .segments.pipeline import run_segments

    w = cohort.windows.sort_values("start_date").iloc[0]
    feats = compute_features(tables, start=w.lookback_start, end=w.start_date, reference_point="window_end")
    head = seg_result.headline
    seg_cfg = dataclasses.replace(cfg.segments, n_bootstrap=0, figures=False, nmf_k=int(head["nmf_k"]),
                                  kmeans_k=int(head["kmeans_k"]))
    res, _ = run_segments(feats, seg_cfg, seed=cfg.run.seed, out=OutputDir(root / "track2_segments"),
                          n_jobs=cfg.run.n_jobs, backend=cfg.run.parallel_backend)
    return res.model


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


def _key_results(pol) -> pd.DataFrame:
    dr = pol.policies[pol.policies["method"] == "dr"].set_index("policy")
    rows = []
    for label, name in (("Contact every household", "Everyone"), (f"Recommended: {pol.recommended_policy}",
                                                                   pol.recommended_policy)):
        key = name if name in dr.index else next((p for p in dr.index if p.lower().startswith(name.lower())), None)
        if key is None:
            continue
        r = dr.loc[key]
        rows.append({"scenario": label, "n_targeted": int(r["n_targeted"]), "share": float(r["share"]),
                     "profit": float(r["profit"]), "profit_ci": (float(r["ci_lower"]), float(r["ci_upper"])),
                     "roi": float(r["roi"]) if pd.notna(r["roi"]) else np.nan,
                     "roi_ci": (float(r.get("roi_ci_lower", np.nan)), float(r.get("roi_ci_upper", np.nan))),
                     "method": "doubly robust, held-out"})
    return pd.DataFrame(rows)


def executive_summary(facts: list[tuple[str, str]], seg, ate_res, pol, warnings: list[str]):
    """The report's first screen from the stage results (any of seg / ate_res / pol may be None)."""
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
    improvement = None
    if pol is not None:
        h = pol.headline
        lo, hi = h["improvement_ci"]
        sign = lambda v: f"{'+' if v >= 0 else '−'}${abs(v):,.0f}"
        improvement = (f"{h['recommended_policy']}: {sign(h['improvement'])} profit vs contacting everyone "
                       f"(95% CI {sign(lo)} to {sign(hi)}); doubly robust, valued on households the models "
                       "did not see")
    return ExecutiveSummary(key_results=_key_results(pol) if pol is not None else None, improvement=improvement,
                            segments=segs, ate=ate, warnings=warnings, facts=facts)


def run_pipeline(cfg: Config, *, out: str | Path | None = None, log: RunLog | None = None) -> Path:
    """Run everything and return the path of ``report.html``."""
    from .causal.ate_pipeline import run_ate
    from .causal.cate_pipeline import run_cate
    from .causal.design import build_design
    from .causal.design_report import design_section
    from .data import connect, load_source
    from .features import compute_features
    from .features.summary import data_sections
    from .policy.cost_data import cost_table
    from .policy.pipeline import PolicyInputs, run_policy
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
                cfg=cfg.ate, seed=seed, out=od, label="campaign cohort"))
            sections += ate_sections
            warnings += ate_res.warnings
        cate = {}
        with log.step("cate"):
            X = cohort.data[list(ate_res.covariates)]
            T = cohort.data["treated"].to_numpy()
            for o in CATE_OUTCOMES:
                k_cate = stage_key(k_ate, cfg.cate, o)
                cate[o] = cache.run(f"cate-{o}", k_cate, root, lambda o=o: run_cate(
                    cohort.data[o].to_numpy(float), T, X, nuisances=ate_res.nuisances[o], cfg=cfg.cate, seed=seed,
                    out=od, outcome=o, n_jobs=cfg.run.n_jobs, progress=log.progress))
                sections += cate[o][1]
                warnings += cate[o][0].warnings
        with log.step("pre-period segments"):
            k_pre = stage_key(k_seg, k_design)
            pre_model = cache.run("pre-segments", k_pre, root,
                                  lambda: _pre_period_segments(tables, cohort, seg, cfg, root, log))
            cohort_segments = pre_model.assign(cohort.data)
        with log.step("policy"):
            res = cate[PRIMARY][0]
            oof = res.oof
            inputs = PolicyInputs(
                household_id=cohort.data["household_id"].to_numpy(), Y=cohort.data[PRIMARY].to_numpy(float),
                T=T, X=X, cate=oof["cate"].to_numpy(), cate_lower=oof["cate_lower"].to_numpy(),
                cate_upper=oof["cate_upper"].to_numpy(), dr_scores=res.dr_scores, folds=res.nuisances.folds,
                propensity=res.nuisances.e, segment=cohort_segments["segment_name"].reset_index(drop=True),
                pre_spend=cohort.data["pre_spend_week"].to_numpy(float),
                cost_data=cost_table(tables, cohort.data))
            pol, pol_sections = run_policy(inputs, cfg.policy, seed=seed, out=od, outcome=PRIMARY)
            sections += pol_sections
            warnings += pol.warnings
        with log.step("targets"):
            targets = _next_campaign_targets(tables, cohort, list(ate_res.covariates), res, pre_model, pol)
            targets.to_csv(root / "targets.csv", index=False)
        with log.step("report"):
            manifest = {"segtarget": __version__, "config": config_to_dict(cfg), "versions": _versions(),
                        "input_fingerprint": fp, "timings_seconds": log.timings, "cache_hits": cache.hits,
                        "seed": seed}
            ov = tables.overview().iloc[0]
            facts = [("Data source", tables.source), ("Households", f"{ov.households:,}"),
                     ("Period", f"{pd.Timestamp(ov.first_date):%Y-%m-%d} – {pd.Timestamp(ov.last_date):%Y-%m-%d}"),
                     ("Sales value", f"${ov.sales_value:,.0f}")]
            summary = executive_summary(facts, seg, ate_res, pol, warnings)
            render_report(sections, root=root, summary=summary, manifest=manifest)
        log.timings["total"] = round(sum(v for k, v in log.timings.items() if k != "total"), 2)
        (root / "manifest.json").write_text(json.dumps(manifest | {"timings_seconds": log.timings}, indent=2,
                                                       default=str))
    return out / "report.html"


def _next_campaign_targets(tables, cohort, covariates: list[str], cate_res, pre_model, pol) -> pd.DataFrame:
    """Score every current household from features as of the end of the data (same look-back length)."""
    from datetime import timedelta

    from .data.db import first_row
    from .features import compute_features
    from .policy.targets import build_target_list

    last = first_row(tables.con, "SELECT max(date) FROM clean_transactions")[0]
    end = last + timedelta(days=1)
    feats = compute_features(tables, start=end - timedelta(days=cohort.lookback_days), end=end,
                             reference_point="window_end")
    feats["active_in_lookback"] = 1
    # Index-campaign dummies stay 0: the next campaign is scored at the reference campaign's level.
    X = pd.DataFrame({c: feats[c] if c in feats else 0.0 for c in covariates})
    cate, lower, upper = cate_res.final_model.predict(X)
    segs = pre_model.assign(feats)
    return build_target_list(feats["household_id"].to_numpy(), segs["segment_name"].to_numpy(), cate, lower, upper,
                             breakeven=pol.economics.breakeven, rule=pol.target_rule)
