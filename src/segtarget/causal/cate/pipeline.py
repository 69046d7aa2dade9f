"""The CATE stage for one outcome: zoo -> held-out evaluation -> selection -> refutation -> interpretation.

Steps (every evaluation number is computed on out-of-fold predictions against AIPW scores from
cross-fitted nuisances; see :mod:`selection` for the selection rule):

1. Nuisances e, mu0, mu1 (shared with Track 2a when passed in) and AIPW scores Gamma, computed once.
2. Optional Optuna tuning per model on a held-out loss (:mod:`tuning`).
3. Out-of-fold CATE for every model on the nuisances' folds (:mod:`zoo`).
4. Model comparison table (DR loss, R-score, AUTOC/QINI, BLP, GATES, DR and naive uplift areas).
5. Selection; refit of the selected model on all units (``final_model``) and its refutations; the ranking
   test of the selected model on repeated household splits, judged on the valued units (:mod:`ranking`).
6. SHAP importance and a CATE tree on the selected model's out-of-fold CATE; figures and report sections.

Above ``cate.sample_threshold`` units, steps 2-6 run on a stratified sample and the selected model scores
everyone else (:mod:`.scale`); nuisances and DR scores stay on every unit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

from ...deprecation import renamed_keywords
from ...errors import SegtargetError
from ...io import OutputDir
from ...report.section import Section
from ...scale import plan_scale
from ...stats import Z95
from .calibration import dr_loss
from .config import CateConfig
from ..nuisance import Nuisances, crossfit_nuisances, dr_scores
from .ranking import RankingTest, ranking_test
from .rate import RankingEvaluation
from .selection import add_loss_differences, ensemble_members, evaluate_model, select_model
from .zoo import LABELS, check_models, default_params, oof_cate_many


@dataclass(frozen=True)
class CateResult:
    """Everything the CATE stage produced for one outcome."""

    outcome: str
    oof: pd.DataFrame  # cate_<model> per model, cate, cate_lower, cate_upper, model (all out-of-fold;
    # above cate.sample_threshold also in_sample, see causal/cate/scale.py)
    selected: str
    selection_reason: str
    dr_scores: np.ndarray
    nuisances: Nuisances
    evaluation: pd.DataFrame  # one row per model (cate_models.csv)
    refutation: pd.DataFrame  # one row per test (refutation.csv)
    rate: dict[str, RankingEvaluation]  # per model, pooled out-of-fold (descriptive; see docs/cate.md)
    ranking: RankingTest  # selected learner refit on S household halves, AUTOC on the other halves' valued units
    final_model: Any  # selected model refit on all (sampled) units: effect(X), effect_interval(X), predict(X)
    headline: dict[str, Any]
    warnings: list[str]
    gates: dict[str, pd.DataFrame] = field(default_factory=dict)
    importance: pd.DataFrame | None = None
    rules: pd.DataFrame | None = None
    refutation_runs: pd.DataFrame | None = None
    tuning: pd.DataFrame | None = None
    params: dict[str, dict] = field(default_factory=dict)
    naive_curves: dict[str, pd.DataFrame] = field(default_factory=dict)  # reference-style binned uplift
    timings: dict[str, float] = field(default_factory=dict)
    # Above cate.sample_threshold the models are compared on a sample: its rows, their out-of-fold frame and
    # the note saying so; the report's model comparison describes those units.
    sample_rows: np.ndarray | None = None
    compared_oof: pd.DataFrame | None = None
    scale_note: str = ""
    breakeven: float | None = None  # drawn on the report's CATE figures when given
    sample_rule: str = ""  # the sampling rule and what it did at this size (the model section's method note)

    def summary_frame(self) -> pd.DataFrame:
        return self.evaluation


def _check_inputs(Y, T, X, cfg: CateConfig) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(np.asarray(X, float), columns=[f"x{j}" for j in range(np.asarray(X).shape[1])])
    Y = np.asarray(Y, float).ravel()
    T = np.asarray(T).ravel()
    if len(Y) != len(X) or len(T) != len(X):
        raise SegtargetError(f"CATE inputs: outcome ({len(Y)}), treatment ({len(T)}) and covariates ({len(X)}) "
                             "must have one row per household")
    if not set(np.unique(T)) <= {0, 1}:
        raise SegtargetError("treatment column: must be 0/1; recode the treatment indicator")
    T = T.astype(int)
    _check_arms(T, cfg, "treatment column")
    if not np.isfinite(Y).all():
        raise SegtargetError("outcome column: missing or infinite values; fill or drop those households")
    bad = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    if bad:
        raise SegtargetError(f"covariate column '{bad[0]}': not numeric; encode it or drop it")
    nan = [c for c in X.columns if X[c].isna().any()]
    if nan:
        raise SegtargetError(f"covariate column '{nan[0]}': missing values; fill them (e.g. 0) before the CATE stage")
    if cfg.folds < 2:
        raise SegtargetError(f"config cate.folds = {cfg.folds}: use at least 2 folds")
    if cfg.tune_loss not in ("dr", "r"):
        raise SegtargetError(f"config cate.tune_loss = '{cfg.tune_loss}': use 'dr' or 'r'")
    if not 0 < cfg.subset_min <= cfg.subset_max < 1:
        raise SegtargetError("config cate.subset_min/subset_max: need 0 < subset_min <= subset_max < 1")
    if cfg.sample_threshold < 1 or cfg.sample_size < 1:
        raise SegtargetError("config cate.sample_threshold/sample_size: both must be at least 1")
    return Y, T, X.reset_index(drop=True)


def _check_arms(T: np.ndarray, cfg: CateConfig, what: str) -> None:
    if min(T.sum(), (1 - T).sum()) < 2 * cfg.folds:
        raise SegtargetError(f"{what}: {T.sum()} treated / {(1 - T).sum()} control; need at least "
                             f"{2 * cfg.folds} in each arm for {cfg.folds}-fold cross-fitting")


def fit_zoo(Y, T, X: pd.DataFrame, *, nuis: Nuisances, scores, cfg: CateConfig, seed: int, n_jobs: int = -1,
            progress: Callable | None = None) -> tuple[dict, dict, pd.DataFrame | None]:
    """Tuning (optional) and out-of-fold CATE for every model: returns (oof by model, params, tuning table)."""
    models = check_models(cfg.models)
    params = {m: default_params(m, cfg) for m in models}
    tuning = None
    if cfg.n_trials > 0:
        from .tuning import tune_models

        _say(progress, "tuning", 0.1)
        res = tune_models(models, Y, T, X.to_numpy(float), scores=scores, nuis=nuis, cfg=cfg, seed=seed,
                          n_jobs=n_jobs)
        params.update({m: r.params for m, r in res.items()})
        tuning = pd.concat([r.summary_frame() for r in res.values()], ignore_index=True)
    _say(progress, "out-of-fold CATE", 0.3)
    oof = oof_cate_many(params, Y, T, X.to_numpy(float), nuis.folds, seed, n_jobs=n_jobs)
    return oof, params, tuning


def evaluate_zoo(oof_cates: dict[str, np.ndarray], *, Y, T, scores, nuis, cfg: CateConfig, seed: int,
                 seconds: dict[str, float] | None = None):
    """Comparison table (with paired DR-loss differences), RATE and GATES per model, and the selection."""
    rows, rates, gts = [], {}, {}
    for name, cate in oof_cates.items():
        row, ev, gt = evaluate_model(name, cate, Y=Y, T=T, scores=scores, nuis=nuis, n_boot=cfg.n_boot,
                                     n_groups=cfg.n_groups, seed=seed)
        row["fit_seconds"] = (seconds or {}).get(name, np.nan)
        rows.append(row)
        rates[name], gts[name] = ev, gt
    table = add_loss_differences(pd.DataFrame(rows), oof_cates, scores)
    selected, reason = select_model(table)
    table["selected"] = table["model"] == selected
    return table, rates, gts, selected, reason


def _say(progress, step: str, fraction: float) -> None:
    if progress is not None:
        progress(step, fraction)


def _headline(outcome, selected, table, scores, refutation, breakeven, oof_sel) -> dict[str, Any]:
    row = table.set_index("model").loc[selected]
    n = len(scores)
    ate, se = float(np.mean(scores)), float(np.std(scores, ddof=1) / np.sqrt(n))
    h = {"outcome": outcome, "n": n, "selected_model": LABELS.get(selected, selected),
         "ate_dr": ate, "ate_dr_lower": ate - Z95 * se, "ate_dr_upper": ate + Z95 * se,
         "autoc": float(row["autoc"]), "autoc_lower": float(row["autoc_lower"]),
         "autoc_upper": float(row["autoc_upper"]), "autoc_p": float(row["autoc_p"]),
         "blp_slope": float(row["blp_slope"]), "blp_p": float(row["blp_p"]),
         "refutations_passed": f"{int(refutation['passed'].sum())}/{len(refutation)}" if len(refutation) else "0/0"}
    if breakeven is not None:
        h["share_above_breakeven"] = float(np.mean(oof_sel > breakeven))
        h["breakeven"] = float(breakeven)
    return h


def _warnings(outcome, selected, table, refutation, rt: RankingTest) -> list[str]:
    row = table.set_index("model").loc[selected]
    label = LABELS.get(selected, selected)
    out = []
    if not rt.p_value < 0.05:
        out.append(f"{outcome}: the model cannot rank households better than random: {label} refit on half of "
                   f"the households and scored on the other half ({rt.population}) has median AUTOC "
                   f"{rt.estimate:.3g} (95% CI [{rt.lower:.3g}, {rt.upper:.3g}], one-sided p = {rt.p_value:.3g}, "
                   f"median of {rt.n_splits} household-split p-values ×2).")
    if not (row["blp_p"] < 0.05 and row["blp_slope"] > 0):
        out.append(f"{outcome}: the calibration test finds no evidence that {label}'s CATEs track the true "
                   f"effects (BLP slope {row['blp_slope']:.3g}, p = {row['blp_p']:.3g}).")
    for _, r in refutation[~refutation["passed"]].iterrows():
        out.append(f"{outcome}: refutation '{r['test']}' failed ({r['statistic']:.3g}; needs {r['threshold']}). "
                   f"{r['meaning']}")
    return out


@renamed_keywords(seed="random_state")
def run_cate(Y: np.ndarray, T: np.ndarray, X: pd.DataFrame, *, nuisances: Nuisances | None, cfg: CateConfig,
             random_state: int, out: OutputDir, outcome: str, breakeven: float | None = None,
             n_jobs: int = -1, progress=None, groups: np.ndarray | None = None,
             overlap: tuple[float, float] | None = None) -> tuple[CateResult, list[Section]]:
    """:func:`compute_cate`, then write its tables and figures through ``out`` and return the report sections."""
    from .report import cate_sections

    result = compute_cate(Y, T, X, nuisances=nuisances, cfg=cfg, random_state=random_state, outcome=outcome,
                          breakeven=breakeven, n_jobs=n_jobs, progress=progress, groups=groups, overlap=overlap)
    return result, cate_sections(result, out)


@renamed_keywords(seed="random_state")
def compute_cate(Y: np.ndarray, T: np.ndarray, X: pd.DataFrame, *, nuisances: Nuisances | None, cfg: CateConfig,
                 random_state: int, outcome: str, breakeven: float | None = None, n_jobs: int = -1,
                 progress=None, groups: np.ndarray | None = None,
                 overlap: tuple[float, float] | None = None) -> CateResult:
    """The whole CATE stage for one outcome, in memory.

    ``groups`` (household id per unit) keeps a household's units together in the household splits and the
    bootstrap of the ranking test; ``overlap`` (the policy's propensity band) restricts the test to the units
    the policies are valued on (None: every unit)."""
    from .scale import sample_rows, scale_warning, score_everyone, subset_nuisances
    from .refute import run_refutations

    t = {"start": time.perf_counter()}
    Y, T, X = _check_inputs(Y, T, X, cfg)
    plan = plan_scale(len(Y), cfg.sample_threshold, cfg.sample_size)
    _say(progress, "nuisances", 0.0)
    nuis = nuisances if nuisances is not None else crossfit_nuisances(Y, T, X.to_numpy(float), n_folds=cfg.folds,
                                                                      random_state=random_state)
    if len(nuis.e) != len(Y):
        raise SegtargetError(f"nuisances: computed for {len(nuis.e)} households but the outcome has {len(Y)}")
    scores_all = dr_scores(Y, T, nuis)
    rows = sample_rows(Y, T, plan, random_state)
    if rows is not None:  # above the threshold: fit on the stratified sample (see causal/cate/scale.py)
        X_all, Y, T, X = X, Y[rows], T[rows], X.iloc[rows].reset_index(drop=True)
        _check_arms(T, cfg, f"CATE sample of {len(rows):,} (cate.sample_size)")
        nuis_all, nuis = nuis, subset_nuisances(nuis, rows)
        groups = None if groups is None else np.asarray(groups)[rows]
    scores = scores_all if rows is None else scores_all[rows]
    t["nuisances"] = time.perf_counter()
    oof, params, tuning = fit_zoo(Y, T, X, nuis=nuis, scores=scores, cfg=cfg, seed=random_state, n_jobs=n_jobs,
                                  progress=progress)
    t["zoo"] = time.perf_counter()
    _say(progress, "evaluation", 0.55)
    cates = {m: o.cate for m, o in oof.items()}
    seconds = {m: o.seconds for m, o in oof.items()}
    if cfg.ensemble and len(cates) >= 3:
        members = ensemble_members(pd.DataFrame({"model": list(cates),
                                                 "dr_loss": [dr_loss(scores, c)[0] for c in cates.values()]}))
        cates["ensemble"] = np.mean([cates[m] for m in members], axis=0)
        params["ensemble"] = {"members": tuple((m, params[m]) for m in members)}
    table, rates, gts, selected, reason = evaluate_zoo(cates, Y=Y, T=T, scores=scores, nuis=nuis, cfg=cfg,
                                                       seed=random_state, seconds=seconds)
    t["evaluation"] = time.perf_counter()
    _say(progress, "refutation", 0.65)
    final, refutation, runs = run_refutations(selected, params[selected], random_state, Y, T, X.to_numpy(float),
                                              nuis=nuis, scores=scores, cfg=cfg, n_jobs=n_jobs)
    t["refutation"] = time.perf_counter()
    rt = ranking_test(selected, params[selected], Y, T, X.to_numpy(float), scores, propensity=nuis.e_raw,
                      overlap=overlap, groups=groups, n_splits=cfg.ranking_splits, n_boot=cfg.n_boot, seed=random_state,
                      n_jobs=n_jobs)
    t["ranking test"] = time.perf_counter()
    frame = pd.DataFrame({f"cate_{m}": c for m, c in cates.items()})
    frame["cate"] = cates[selected]
    sel = oof.get(selected)
    frame["cate_lower"] = sel.lower if sel is not None else np.nan
    frame["cate_upper"] = sel.upper if sel is not None else np.nan
    frame["model"] = selected
    _say(progress, "interpretation", 0.9)
    from .report import naive_curves
    from .interpret import cate_tree_rules, shap_importance

    importance, r2 = shap_importance(X, cates[selected], seed=random_state)
    rules = cate_tree_rules(X, cates[selected], scores, depth=cfg.tree_depth, min_leaf=cfg.tree_min_leaf,
                            seed=random_state)
    t["interpretation"] = time.perf_counter()
    warnings = _warnings(outcome, selected, table, refutation, rt)
    full = frame
    if rows is not None:
        full = score_everyone(frame, rows, final, X_all.to_numpy(float))
        nuis = nuis_all
        warnings.append(scale_warning(outcome, plan))
    headline = _headline(outcome, selected, table, scores_all, refutation, breakeven, full["cate"].to_numpy())
    if rows is not None:
        headline["cate_sample"] = len(rows)
    # the ranking test: median AUTOC over the household splits, median 95% bounds, one-sided 2 x median p
    headline.update({"autoc_split": rt.estimate, "autoc_split_lower": rt.lower, "autoc_split_upper": rt.upper,
                     "autoc_split_p": rt.p_value, "ranking_splits": rt.n_splits})
    headline["surrogate_r2"] = r2
    result = CateResult(
        outcome=outcome, oof=full, selected=selected, selection_reason=reason, dr_scores=scores_all, nuisances=nuis,
        evaluation=table, refutation=refutation, rate=rates, ranking=rt, final_model=final,
        headline=headline, warnings=warnings, gates=gts,
        importance=importance, rules=rules,
        refutation_runs=runs, tuning=tuning, params=params, naive_curves=naive_curves(Y, T, frame, list(cates)),
        timings={k: v - t["start"] for k, v in t.items() if k != "start"},
        sample_rows=rows, compared_oof=None if rows is None else frame, scale_note=plan.cate_note(),
        breakeven=breakeven, sample_rule=plan.cate_rule(),
    )
    result.timings["total"] = time.perf_counter() - t["start"]
    _say(progress, "done", 1.0)
    return result


def cate_frame(results: dict[str, CateResult], ids=None, id_name: str = "id") -> pd.DataFrame:
    """Long table for ``DIR/cate.csv``: outcome, id (the ``--id`` values, else the 0-based row), selected
    CATE with its interval and model, and one ``cate_<model>`` column per model."""
    parts = []
    for outcome, res in results.items():
        df = res.oof.copy()
        df.insert(0, id_name, np.arange(len(df)) if ids is None else np.asarray(ids))
        df.insert(0, "outcome", outcome)
        lead = ["outcome", id_name, "cate", "cate_lower", "cate_upper", "model"]
        parts.append(df[lead + [c for c in df.columns if c not in lead]])
    return pd.concat(parts, ignore_index=True)


def stacked(results: dict[str, CateResult], attr: str) -> pd.DataFrame:
    """``evaluation`` or ``refutation`` tables of all outcomes, with an ``outcome`` column first."""
    return pd.concat([getattr(r, attr).assign(outcome=o)[["outcome", *getattr(r, attr).columns]]
                      for o, r in results.items()], ignore_index=True)


def write_cate_outputs(results: dict[str, CateResult], root, ids=None, id_name: str = "id") -> list:
    """Write ``cate.csv``, ``cate_models.csv`` and ``refutation.csv`` into ``root`` (atomically, per file)."""
    from pathlib import Path

    from ...io import atomic_write_table

    root = Path(root)
    return [atomic_write_table(cate_frame(results, ids, id_name), root / "cate.csv"),
            atomic_write_table(stacked(results, "evaluation"), root / "cate_models.csv"),
            atomic_write_table(stacked(results, "refutation"), root / "refutation.csv")]
