"""The one run: data → features → segments → study design → ATE → CATE → policy → report.

``run(cfg)`` computes every stage and returns a :class:`RunResult` (no output directory needed: a notebook
can look at any table); ``RunResult.write(out)`` builds the report sections from the results and writes
tables, figures, ``report.html`` and ``manifest.json``; ``run_pipeline`` is the two in a row. Each step is
timed; the expensive ones are cached by input fingerprint + the config they depend on (``cache.py``), so a
re-run that changes only cost or margin recomputes only the policy step (the cache keeps results, the
report is rebuilt from them). Writing goes into a temporary directory that replaces ``out`` only when
everything succeeded.
"""

from __future__ import annotations

import dataclasses
import json
import platform
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from . import __version__
from .cache import StageCache, stage_key
from .causal.cate.registry import cache_token as learners_token
from .config import Config, config_to_dict
from .errors import SegtargetError
from .io import OutputDir, atomic_output_dir
from .report.section import Section
from .decision import make_units, nested_cate, policy_inputs, policy_scores
from .report.format import money
from .steps import PRIMARY, compute_migration_step, event_study_step, next_campaign_assignment, \
    next_campaign_targets, pre_period_config, pre_period_segments, retail_policy_extras

__all__ = ["RunLog", "RunResult", "run", "run_pipeline", "executive_summary", "PRIMARY", "CATE_OUTCOMES"]

MIN_HOUSEHOLDS = 20  # segments and a treated/control comparison need at least this many households
CATE_OUTCOMES = ("purchase_amount", "purchase_count")


@dataclass
class RunLog:
    """Timings and notes collected while the run proceeds."""

    timings: dict[str, float] = field(default_factory=dict)
    # CPU seconds of this process per step (its threads included, joblib/Ray workers not): steadier than the
    # wall time on a shared machine for telling how a step grows with the data (benchmarks/bench_run_scale.py)
    cpu: dict[str, float] = field(default_factory=dict)
    # the process's peak RSS (MB) when each step ended: the step where it rises is the one that raised it
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    progress: Callable[[str, float], None] | None = None
    announce: Callable[[str], None] = lambda msg: None

    @contextmanager
    def step(self, name: str):
        self.announce(name)
        t0, c0 = time.perf_counter(), time.process_time()
        yield
        self.timings[name] = round(time.perf_counter() - t0, 2)
        self.cpu[name] = round(time.process_time() - c0, 2)
        self.peak_rss_mb[name] = _peak_rss_mb()


@dataclass(frozen=True)
class RunResult:
    """Every stage's result of one run, in memory. ``tables()`` gives the tables a reader wants first."""

    config: Config
    data: Any  # the loaded source: DuckDB tables, ``fingerprint``, ``overview()``
    features: pd.DataFrame  # household features of the analysis period (Track 1)
    segments: Any  # SegmentationResult
    migration: Any | None  # MigrationRun (segments/migration_run.py), None when segments.migration is off
    design: Any  # Cohort: the study design's units, covariates and outcomes
    ate: Any  # AteResult
    design_refutations: Any | None  # DesignRefutations (campaign-trials only)
    cate: dict[str, Any]  # outcome -> CateResult
    pre_period_segments: Any  # SegmentationResult on look-back features (segments of the study units)
    cohort_segments: pd.DataFrame  # one pre-period segment per study unit
    event_study: Any | None  # EventStudyRun, None when off or skipped
    policy_scores: Any  # EffectScores
    policy: Any  # PolicyResult
    targets: pd.DataFrame  # the next campaign's target list
    warnings: list[str]
    timings: dict[str, float]
    cache_hits: list[str]
    gate: Any | None = None  # DesignGate (causal/design/gate.py), campaign-trials only
    cotargeting: Any | None = None  # Cotargeting: Type B/C exposure by arm, headline without co-targeted units

    @property
    def pre_period_model(self):
        """The SegmentModel that assigns study units (and the next campaign's households) to segments."""
        return self.pre_period_segments.model

    def tables(self) -> dict[str, pd.DataFrame]:
        """The key tables by name: segments, ATE, CATE model comparison per outcome, policies, key results,
        targets, and the event study when it ran."""
        out = {"segments": self.segments.profiles, "ate": self.ate.ate, "sensitivity": self.ate.sensitivity}
        out.update({f"cate_models_{o}": r.evaluation for o, r in self.cate.items()})
        out.update({"policies": self.policy.policies, "key_results": self.policy.key_results,
                    "targets": self.targets})
        if self.cotargeting is not None:
            out["cotargeting"] = self.cotargeting.table
        if self.event_study is not None:
            out["event_study"] = self.event_study.result.summary_frame()
        return out

    def write(self, out: str | Path | None = None, log: RunLog | None = None) -> Path:
        """Write the whole output directory from the results; returns the path of ``report.html``."""
        from .report.render import render_report

        log = log or RunLog(timings=dict(self.timings))
        out = Path(out or self.config.run.out)
        with atomic_output_dir(out) as root:
            with log.step("report"):
                sections, warnings = _report_sections(self, OutputDir(root))
                manifest = {"segtarget": __version__, "config": config_to_dict(self.config), "versions": _versions(),
                            "input_fingerprint": self.data.fingerprint, "timings_seconds": log.timings,
                            "cache_hits": self.cache_hits, "seed": self.config.run.seed}
                summary = executive_summary(_facts(self.data), self.segments, self.ate, self.policy, warnings,
                                            triangulation=self.event_study.sentence if self.event_study else None,
                                            targets=self.targets)
                render_report(sections, root=root, summary=summary, manifest=manifest)
            log.timings["total"] = round(sum(v for k, v in log.timings.items() if k != "total"), 2)
            (root / "manifest.json").write_text(json.dumps(manifest | {"timings_seconds": log.timings,
                                                                       "cpu_seconds": log.cpu,
                                                                       "peak_rss_mb": log.peak_rss_mb}, indent=2,
                                                           default=str))
        return out / "report.html"


def _peak_rss_mb() -> float:
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux, bytes on macOS
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "segtarget": __version__}
    for pkg in ("numpy", "pandas", "scikit-learn", "duckdb", "econml", "lightgbm", "optuna", "matplotlib"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "missing"
    return out


def _key_results(raw: pd.DataFrame) -> pd.DataFrame:
    """The first screen's table from the policy result's key results (the frame key_results.csv is written from)."""
    return pd.DataFrame({
        "scenario": raw["scenario"], "n_targeted": raw["n_targeted"], "share": raw["share"],
        "profit": raw["profit"], "profit_ci": list(zip(raw["ci_lower"], raw["ci_upper"])), "roi": raw["roi"],
        "roi_ci": list(zip(raw["roi_ci_lower"], raw["roi_ci_upper"])), "method": raw["method"],
        "follows_verdict": raw["follows_verdict"].astype(bool)})


def executive_summary(facts: list[tuple[str, str]], seg, ate_res, pol, warnings: list[str],
                      triangulation: str | None = None, targets: pd.DataFrame | None = None):
    """The report's first screen from the stage results in memory (any of seg / ate_res / pol / targets may be
    None); ``segtarget run`` and ``segtarget causal`` both build it here.

    The verdict, the cost assumption and the key results come from ``pol.key_results``, the frame that
    ``tables/key_results.csv`` is written from, so the first screen shows exactly the numbers of that table
    without reading it back; ``targets`` adds how many listed households lie outside the study population.
    """
    from .policy.targets import population_line
    from .report.summary import ExecutiveSummary

    if targets is not None:
        facts = [*facts, ("Target list", population_line(targets))]

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
        raw = pol.key_results
        keys = _key_results(raw)
        verdict, assumption = str(raw["verdict_sentence"].iloc[0]), str(raw["assumption"].iloc[0])
        g = raw.iloc[-1]
        def sign(v):
            return money(v, 0, sign=True)
        improvement = (f"{g['scenario']}: {sign(g['profit'])} (95% CI {sign(g['ci_lower'])} to "
                       f"{sign(g['ci_upper'])}); chosen on K-1 folds, valued on the held-out fold")
        tone = "good" if g["ci_lower"] > 0 else "bad" if g["ci_upper"] < 0 else "neutral"
    return ExecutiveSummary(key_results=keys, improvement=improvement, segments=segs, ate=ate,
                            warnings=warnings, facts=facts, verdict=verdict, assumption=assumption,
                            triangulation=triangulation or None, improvement_tone=tone)


def _facts(tables) -> list[tuple[str, str]]:
    ov = tables.overview().iloc[0]
    return [("Data source", tables.source), ("Households", f"{ov.households:,}"),
            ("Period", f"{pd.Timestamp(ov.first_date):%Y-%m-%d} – {pd.Timestamp(ov.last_date):%Y-%m-%d}"),
            ("Sales value", money(ov.sales_value, 0))]


def _report_sections(res: RunResult, od: OutputDir) -> tuple[list[Section], list[str]]:
    """Every report section in report order, built from the results (writing their tables and figures), and
    the run's warnings in the order the first screen lists them."""
    from .causal.ate.report import ate_sections
    from .causal.cate.report import cate_sections
    from .causal.design.report import cohort_table, cotargeting_sections, design_sections, refutation_sections
    from .causal.event.report import event_sections
    from .features.report import data_sections
    from .policy.report import policy_sections
    from .policy.targets import write_targets
    from .segments.report import migration_sections, segments_sections

    cfg = res.config
    sections = data_sections(res.features, od, tables=res.data) + segments_sections(res.segments, od, cfg=cfg.segments)
    if res.migration is not None:
        sections += migration_sections(res.migration, od, figures=cfg.segments.figures)
    segments_sections(res.pre_period_segments, OutputDir(od.root / "track2_segments"),
                      cfg=pre_period_config(cfg, res.segments))
    sections += design_sections(res.design, od)
    sections += ate_sections(res.ate, od, cfg=cfg.ate, label="campaign cohort")
    warnings = list(res.ate.warnings)
    od.table("cohort", cohort_table(res.design, res.ate.nuisances[PRIMARY].e_raw, cfg.ate.overlap_band))
    if res.design_refutations is not None:
        sections += refutation_sections(res.design_refutations, od, gate=res.gate)
        warnings += sections[-1].warnings
    if res.cotargeting is not None:
        sections += cotargeting_sections(res.cotargeting, od, contact_cost=cfg.policy.contact_cost)
        warnings += sections[-1].warnings
    es_sections = [] if res.event_study is None else event_sections(res.event_study, od, cfg=cfg.event_study)
    sections += es_sections  # right after the ATE sections
    for o in CATE_OUTCOMES:
        sections += cate_sections(res.cate[o], od)
        warnings += res.cate[o].warnings
    if cfg.event_study.enabled and res.event_study is None:
        warnings += [w for w in res.warnings if w.startswith("event study skipped")]
    if es_sections:
        warnings += es_sections[0].warnings
    sections += policy_sections(res.policy, od, outcome=PRIMARY)
    warnings += res.policy.warnings
    write_targets(res.targets, od.root / "targets.csv", res.policy.verdict.sentence,
                  res.policy.economics.assumption_line())
    return sections, warnings


def run(cfg: Config, *, log: RunLog | None = None) -> RunResult:
    """Compute every stage of the one run and return the results. Nothing is written but the step cache, and that
    only when asked (``run.use_cache = true`` or a ``run.cache_dir``; ``segtarget run`` asks unless ``--no-cache``);
    it keeps values only (``None``: no stage writes files). The data-heavy SQL runs on ``data.engine`` (a Spark session
    started for the run stops when it returns; the results are pandas and numpy)."""
    from .data.engine import open_engine

    with open_engine(cfg.data.engine, cfg.spark) as engine:
        return _run_stages(cfg, engine, log=log)


def _run_stages(cfg: Config, engine, *, log: RunLog | None = None) -> RunResult:
    from .causal.ate.pipeline import compute_ate
    from .causal.cate.pipeline import compute_cate
    from .causal.design.gate import compute_gate
    from .causal.design.cotargeting import compute_cotargeting
    from .causal.design.refute import refute_design
    from .causal.design.study import build_design
    from .data import connect
    from .data.validate import run_quality
    from .features import compute_features
    from .policy.pipeline import compute_policy
    from .segments.pipeline import compute_segments

    log = log or RunLog()
    cache = StageCache(cfg.run.cache_dir, enabled=cfg.run.caching)
    seed = cfg.run.seed
    warnings: list[str] = []
    with log.step("data"):
        fc = cfg.features
        con = connect(fc.memory_limit, fc.threads, fc.temp_directory)
        tables = engine.load(cfg.data.source, con=con)
        tables.quality = run_quality(tables, exposure=fc.exposure)
        fp = tables.fingerprint
        n_households = int(tables.overview().iloc[0]["households"])
        if n_households < MIN_HOUSEHOLDS:
            raise SegtargetError(f"data {tables.source}: too few households: {n_households} households with "
                                 f"usable transactions; the run needs at least {MIN_HOUSEHOLDS}")
    with log.step("design"):
        k_design = stage_key(fp, cfg.design)
        cohort = cache.run("design", k_design, lambda: build_design(tables, cfg.design))
    with log.step("features"):
        k_feat = stage_key(fp, cfg.features, cfg.data)
        feats = cache.run("features", k_feat, lambda: compute_features(
            tables, start=cfg.data.start, end=cfg.data.end, exposure=None if cfg.features.exposure else False))
    with log.step("segments"):
        k_seg = stage_key(k_feat, cfg.segments, seed)
        seg = cache.run("segments", k_seg, lambda: compute_segments(
            feats, cfg.segments, seed=seed, n_jobs=cfg.run.n_jobs, backend=cfg.run.parallel_backend,
            progress=log.progress))
    migration = None
    if cfg.segments.migration:
        with log.step("migration"):
            migration = cache.run("migration", stage_key(k_seg, "migration"),
                                  lambda: compute_migration_step(tables, seg, cfg))
    with log.step("ate"):
        k_ate = stage_key(k_design, cfg.ate, seed)
        ate_res = cache.run("ate", k_ate, lambda: compute_ate(
            cohort.data, treatment="treated", outcomes=list(CATE_OUTCOMES), covariates=list(cohort.covariates),
            cfg=cfg.ate, random_state=seed, label="campaign cohort", groups=cohort.data["household_id"].to_numpy(),
            strata=cohort.data["index_campaign"].to_numpy()))
        warnings += ate_res.warnings
    refutations = gate = None
    if cohort.design == "campaign-trials":
        with log.step("design refutations"):
            method = ate_res.headline[PRIMARY]["method"]
            refutations = cache.run("design-refutations", stage_key(k_ate, method),
                                    lambda: refute_design(tables, cfg.design, method, cfg.ate, seed))
        with log.step("design gate"):
            gate = cache.run("design-gate", stage_key(k_design, cfg.ate, seed),
                             lambda: compute_gate(tables, cohort, cfg.design, cfg.ate, seed))
    with log.step("co-targeting"):
        method = ate_res.headline[PRIMARY]["method"]
        cotargeting = cache.run("co-targeting", stage_key(k_ate, method),
                                lambda: compute_cotargeting(tables, cohort, method, cfg.ate, seed))
    cate = {}
    with log.step("cate"):
        X = cohort.data[list(ate_res.covariates)]
        T = cohort.data["treated"].to_numpy()
        # the ranking test is judged on the units the policy values (policy.overlap, policy.value_population)
        valued = cfg.policy.overlap if cfg.policy.value_population == "overlap" else None
        for o in CATE_OUTCOMES:
            k_cate = stage_key(k_ate, cfg.cate, o, valued, learners_token(cfg.cate.models))
            cate[o] = cache.run(f"cate-{o}", k_cate, lambda o=o: compute_cate(
                cohort.data[o].to_numpy(float), T, X, nuisances=ate_res.nuisances[o], cfg=cfg.cate, random_state=seed,
                outcome=o, n_jobs=cfg.run.n_jobs, progress=log.progress,
                groups=cohort.data["household_id"].to_numpy(), overlap=valued))
            warnings += cate[o].warnings
    with log.step("pre-period segments"):
        k_pre = stage_key(k_seg, k_design)
        pre_seg = cache.run("pre-segments", k_pre, lambda: pre_period_segments(tables, cohort, seg, cfg))
        pre_model = pre_seg.model
        # One assignment per unit (a household in two trials has two look-backs): the model wants unique
        # ids, so units get row numbers for the call and keep their order.
        cohort_segments = pre_model.assign(cohort.data.assign(household_id=np.arange(len(cohort.data))))
    es_run = None
    if cfg.event_study.enabled:
        with log.step("event study"):
            es_run = event_study_step(tables, cohort, ate_res, cohort_segments, cfg, cache,
                                      stage_key(k_ate, k_pre, cfg.event_study), warnings)
    units = make_units(cohort.data, treatment="treated", outcome=PRIMARY, covariates=ate_res.covariates,
                       groups=cohort.data["household_id"].to_numpy(), cfg=cfg, pre="pre_spend_week")
    with log.step("policy scores"):
        # not the cost or the margin: those only recombine the scores in the policy step
        k_scores = stage_key(k_ate, cfg.policy.score_repeats, cfg.policy.coupons_retailer_funded)
        scores = cache.run("policy-scores", k_scores, lambda: policy_scores(units, ate_res, cfg, seed))
    with log.step("policy cate"):
        nested = cache.run("policy-cate", stage_key(k_ate, cfg.cate, PRIMARY, "nested"),
                           lambda: nested_cate(units, cate[PRIMARY], cfg, seed))
    with log.step("policy"):
        res = cate[PRIMARY]
        pol = compute_policy(policy_inputs(units, res, scores, nested, gate,
                                           **retail_policy_extras(tables, cohort, cohort_segments)),
                             cfg.policy, random_state=seed)
        warnings += pol.warnings
    with log.step("targets"):
        targets = next_campaign_targets(tables, cohort, list(ate_res.covariates), res, pre_model, pol, cfg,
                                        ate_res.nuisances[PRIMARY].ps_model)
        # the A/B assignment randomises the eligible households of the list, not the study's units
        pol = dataclasses.replace(pol, assignment=next_campaign_assignment(targets, cfg))
    return RunResult(config=cfg, data=tables, features=feats, segments=seg, migration=migration, design=cohort,
                     ate=ate_res, design_refutations=refutations, cate=cate, pre_period_segments=pre_seg,
                     cohort_segments=cohort_segments, event_study=es_run, policy_scores=scores, policy=pol,
                     targets=targets, warnings=warnings + cache.notes, timings=log.timings, cache_hits=cache.hits,
                     gate=gate, cotargeting=cotargeting)


def run_pipeline(cfg: Config, *, out: str | Path | None = None, log: RunLog | None = None) -> Path:
    """Run everything and write the output directory; returns the path of ``report.html``."""
    log = log or RunLog()
    return run(cfg, log=log).write(out, log=log)
