"""Track 2a end to end: propensity, positivity, the ATE family, bounds and sensitivity for one table.

``run_ate`` runs on the study-design table (the one-run pipeline) or on any user table after validation
(``segtarget causal``, :mod:`segtarget.table_analysis`). ``compute_ate`` returns an
:class:`~.result.AteResult` without touching disk; ``run_ate`` also writes its tables and figures through
``OutputDir`` and returns the report sections (:mod:`.sections`).

Cross-fitting is repeated on up to ``cfg.crossfit_repeats`` independent fold splits and every doubly-robust
estimate is the median over splits (``ate.median_over_splits``): with extreme propensities a single split's
estimate moves by a sizeable fraction of its SE from seed to seed. Splits stop early, after
``crossfit_min_repeats``, once the headline estimate of the outcome differs between splits by no more than
``crossfit_tolerance`` of its SE (``splits_agree``): further splits would not change the answer. Early
stopping is allowed only when at most ``crossfit_max_clipped`` of the propensities were clipped: with extreme
propensities two splits can agree by chance while a third moves the median (LaLonde's PSID controls: two
splits give an ATT of 2.45, five give 1.90), so all splits run there. The first split (the run's seed) is the one
whose ``Nuisances`` are exported and whose propensity drives the diagnostics, the headline rule and every
trimming mask (so all splits estimate the same trimmed population). The propensity of a split depends only on
(T, X, folds, seed), so it is fitted once per split and shared by every outcome.

Stacked designs pass ``groups`` (household ids) and ``strata`` (the trial): folds never split a household,
every standard error is clustered by household, and the naive difference is taken within trial (trial fixed
effects enter the nuisance models as the design's trial dummies).

Per outcome the ATE table holds, in this order: naive, ols, ipw, aipw, att, atc, ato, aipw_trim (each
threshold of ``cfg.trims`` above 0 and the Crump threshold), dml and dml_trim. The propensity and its
diagnostics depend only on (T, X, seed), so they are identical for every outcome. Exactly one row per
outcome has ``default = True``: the headline chosen by ``headline.headline_method``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...deprecation import renamed_keywords
from ...io import OutputDir
from ...parallel import task_seeds
from ...report.section import Section
from . import bounds, dml, estimators, headline
from .report import ate_sections
from ..config import AteConfig
from ..nuisance import Nuisances, crossfit_nuisances, crossfit_propensity, make_folds
from .positivity import PositivityReport, positivity_report
from .propensity import PropensityComparison, compare_propensity
from .inputs import check_table
from .result import ATE_COLUMNS, AteResult

def split_seeds(seed: int, repeats: int) -> list[int]:
    """The run's own seed first (its split is the one exported), then independent seeds for the repeats."""
    return [seed, *task_seeds(seed, max(repeats - 1, 0))]


@dataclass(frozen=True)
class Split:
    """One cross-fitting split: its seed, folds and the propensity fitted on them (shared by outcomes)."""

    seed: int
    folds: np.ndarray
    propensity: tuple


class Splits:
    """The run's cross-fitting splits, each fitted when first needed: split 0 is the propensity comparison's
    folds and selected propensity; split k > 0 gets its own folds and propensity (shared by every outcome)."""

    def __init__(self, T: np.ndarray, X: np.ndarray, cfg: AteConfig, seed: int, groups=None):
        self.T, self.X, self.cfg, self.groups = T, X, cfg, groups
        self.seeds = split_seeds(seed, cfg.crossfit_repeats)
        folds = make_folds(T, cfg.folds, seed, groups)
        self.comparison = compare_propensity(T, X, folds, seed, n_bins=cfg.calibration_bins)
        c = self.comparison
        losses = dict(zip(c.scores["model"], c.scores["log_loss"]))
        self._cache = {0: Split(seed, folds, (c.predictions[c.selected], c.selected, losses))}

    def __len__(self) -> int:
        return len(self.seeds)

    def __getitem__(self, k: int) -> Split:
        if k not in self._cache:
            s = self.seeds[k]
            folds = make_folds(self.T, self.cfg.folds, s, self.groups)
            self._cache[k] = Split(s, folds, crossfit_propensity(self.T, self.X, folds, s))
        return self._cache[k]


def splits_agree(runs: list[list[estimators.AteEstimate]], method: str, tol: float) -> bool:
    """True when the headline estimate (``method``, untrimmed) moves by at most ``tol`` of its SE between
    splits (half the range): more splits would not change the answer that is reported."""
    same = [e for run in runs for e in run if e.method == method and e.trim == 0]
    theta = np.array([e.estimate for e in same])
    return bool(np.ptp(theta) / 2 <= tol * max(same[0].std_error, 1e-12))


def _dr_family(y, T, X, nuis: Nuisances, trims: list[float], seed: int, groups, strata, e_mask):
    return (estimators.weighting_family(y, T, X, nuis, seed, groups, strata)
            + estimators.aipw_trimming(y, T, nuis, trims, groups=groups, e_mask=e_mask))


def _outcome_estimates(y: np.ndarray, T: np.ndarray, X: np.ndarray, nuis: Nuisances, alpha: float,
                       cfg: AteConfig, splits: Splits, method: str, groups=None,
                       strata=None) -> tuple[list[estimators.AteEstimate], dml.DmlSensitivity | None, int]:
    trims = sorted({float(t) for t in cfg.trims if t > 0} | ({round(alpha, 4)} if alpha > 0 else set()))
    clip = (cfg.clip, 1 - cfg.clip)
    seed = splits[0].seed
    runs = [_dr_family(y, T, X, nuis, trims, seed, groups, strata, nuis.e_raw)]
    clipped = float(np.mean((nuis.e_raw < cfg.clip) | (nuis.e_raw > 1 - cfg.clip)))
    # Extreme propensities make single splits unstable (two may agree by chance): then every split runs.
    min_repeats = cfg.crossfit_min_repeats if clipped <= cfg.crossfit_max_clipped else len(splits)
    for k in range(1, len(splits)):
        if k >= min_repeats and splits_agree(runs, method, cfg.crossfit_tolerance):
            break
        sp = splits[k]
        extra = crossfit_nuisances(y, T, X, random_state=sp.seed, clip=clip, folds=sp.folds, propensity=sp.propensity)
        runs.append(_dr_family(y, T, X, extra, trims, sp.seed, groups, strata, nuis.e_raw))
    est = estimators.median_over_splits(runs)
    sens = None
    if cfg.dml:
        dml_est, sens = dml.dml_ate(y, T, X, ps_model=nuis.ps_model, n_folds=cfg.folds, random_state=seed,
                                         groups=groups)
        est.append(dml_est)
        est += dml.dml_trimming(y, T, X, nuis.e_raw, cfg.dml_trims, ps_model=nuis.ps_model, n_folds=cfg.folds,
                                    seed=seed, groups=groups)
    return est, sens, len(runs)


def _sensitivity_row(outcome: str, y: np.ndarray, T: np.ndarray, head: dict,
                     sens: dml.DmlSensitivity | None) -> dict:
    mb = bounds.manski_bounds(y, T)
    ev, ev_ci = bounds.e_value(head["estimate"], head["ci_lower"], head["ci_upper"], float(np.std(y, ddof=1)))
    head.update(e_value=ev, e_value_ci=ev_ci)
    return {"outcome": outcome, "manski_lower": mb.lower, "manski_upper": mb.upper,
            "manski_ci_lower": mb.ci_lower, "manski_ci_upper": mb.ci_upper, "y_min": mb.y_min, "y_max": mb.y_max,
            "headline_method": head["method"], "e_value": ev, "e_value_ci": ev_ci,
            "dml_robustness_value": sens.robustness_value if sens else np.nan,
            "dml_sensitivity_lower": sens.sensitivity_lower if sens else np.nan,
            "dml_sensitivity_upper": sens.sensitivity_upper if sens else np.nan}


@renamed_keywords(seed="random_state")
def run_ate(df: pd.DataFrame, *, treatment: str, outcomes: list[str], covariates: list[str],
            cfg: AteConfig, random_state: int, out: OutputDir, label: str = "", groups: np.ndarray | None = None,
            strata: np.ndarray | None = None) -> tuple[AteResult, list[Section]]:
    """:func:`compute_ate`, then write its tables and figures under ``out`` and return the report sections."""
    result = compute_ate(df, treatment=treatment, outcomes=outcomes, covariates=covariates, cfg=cfg,
                         random_state=random_state, label=label, groups=groups, strata=strata)
    return result, ate_sections(result, out, cfg=cfg, label=label)


@renamed_keywords(seed="random_state")
def compute_ate(df: pd.DataFrame, *, treatment: str, outcomes: list[str], covariates: list[str],
                cfg: AteConfig, random_state: int, label: str = "", groups: np.ndarray | None = None,
                strata: np.ndarray | None = None) -> AteResult:
    """Track 2a on a unit-level table whose columns are already clean (numeric, finite, binary T), in memory.

    ``label`` names the table in error messages; ``groups``: cluster id per row (household of a stacked design);
    ``strata``: trial per row (module docstring).
    """
    checked = check_table(df, treatment=treatment, outcomes=outcomes, covariates=covariates, id_col=None,
                          n_folds=cfg.folds, source=label or "study table")
    T, Xdf = checked.T, checked.X
    X = Xdf.to_numpy(dtype=float)
    splits = Splits(T, X, cfg, random_state, groups)
    comparison, folds = splits.comparison, splits[0].folds
    clip = (cfg.clip, 1 - cfg.clip)
    nuisances = {o: crossfit_nuisances(checked.Y[o], T, X, random_state=random_state, clip=clip, folds=folds,
                                       propensity=splits[0].propensity) for o in outcomes}
    e_raw = nuisances[outcomes[0]].e_raw
    pos: PositivityReport = positivity_report(Xdf, T, e_raw, clip=cfg.clip, band=cfg.overlap_band,
                                              caliper_sd=cfg.caliper_sd, min_coverage=cfg.min_coverage)
    method, reason = headline.headline_method(pos.summary, cfg)
    frames, heads, sens_rows = [], {}, []
    for o in outcomes:
        est, sens, n_splits = _outcome_estimates(checked.Y[o], T, X, nuisances[o], pos.summary["crump_alpha"], cfg,
                                                 splits, method, groups, strata)
        table = headline.mark_headline(estimators.estimates_frame(est, o), method)
        frames.append(table)
        row = table[table["default"]].iloc[0]
        heads[o] = {k: row[k] for k in ("method", "estimand", "estimate", "std_error", "ci_lower", "ci_upper",
                                           "n")} | {"reason": reason,
                                                    "population": headline.POPULATIONS[method],
                                                    "splits": n_splits}
        sens_rows.append(_sensitivity_row(o, checked.Y[o], T, heads[o], sens))
    warnings = list(pos.warnings)
    if checked.dropped_constant:
        warnings.append(f"constant covariates dropped: {', '.join(checked.dropped_constant)}")
    result = AteResult(
        ate=pd.concat(frames, ignore_index=True)[ATE_COLUMNS], positivity=pos.summary,
        positivity_frame=pos.summary_frame(), balance=pos.balance, nuisances=nuisances, headline=heads,
        verdict=pos.verdict, warnings=warnings, sensitivity=pd.DataFrame(sens_rows), propensity=comparison,
        covariates=tuple(Xdf.columns), dropped_covariates=checked.dropped_constant, treatment=T)
    return result
