"""Write Track 2a's tables and figures and describe them as report sections."""

from __future__ import annotations

import html
import re

import numpy as np

from ...io import OutputDir
from ...report.section import Figure, Section, Table, Text
from . import plots as ate_plots
from ..config import AteConfig
from .result import AteResult

PS_NOTE = ("Propensity e(x) = P(T=1|x) is cross-fitted ({folds} folds stratified by treatment): a logistic "
           "regression on standardised covariates and a LightGBM model are both fitted, and the one with the lower "
           "out-of-fold log-loss is used. Every unit's e(x) comes from a model that never saw it. Balance is the "
           "standardised mean difference (unweighted pooled SD in the denominator) before and after IPW, overlap "
           "and ATT weighting; |SMD| < 0.1 counts as balanced.")
ATE_NOTE = ("All doubly-robust estimates use the same cross-fitted e(x), mu0(x), mu1(x); std errors come from "
            "influence functions, 95% CI = estimate ± 1.96 SE. The headline is picked by an overlap-aware rule "
            "that looks only at the propensity: ATE (AIPW) if ≥ {cov:.0%} of units have e in "
            "[{b}, {b1}]; else the ATT if ≥ {cov:.0%} of treated units have comparable controls; else the ATC "
            "likewise; else the overlap-weighted ATO. Trimmed rows keep units with full-sample e in [t, 1-t] "
            "(propensity not re-estimated; DML re-fits its own nuisances inside the trimmed sample). Manski bounds "
            "assume nothing about selection; the E-value is VanderWeele & Ding's approximation for a continuous "
            "outcome; the DML robustness value follows Chernozhukov et al. (2022).")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "outcome"


def _fmt(v: float) -> str:
    return f"{v:,.3f}" if abs(v) < 100 else f"{v:,.1f}"


def _positivity_section(res: AteResult, T: np.ndarray, e_raw: np.ndarray, cfg: AteConfig, out: OutputDir,
                        pre: str, title_suffix: str) -> Section:
    s = res.positivity
    key_metrics = res.positivity_frame[res.positivity_frame["metric"].isin(
        ["n", "n_treated", "n_control", "ps_auc", "share_in_10_90", "share_in_05_95", "crump_alpha", "n_in_crump",
         "support_coverage_treated", "support_coverage_control", "ess_ipw_treated", "ess_ipw_control",
         "ess_overlap_treated", "ess_overlap_control", "ess_att_control", "n_clipped",
         "n_balanced_unweighted", "n_balanced_ipw", "n_balanced_overlap", "n_balanced_att"])]
    blocks = [
        Text(f"<p><strong>Verdict.</strong> {html.escape(res.verdict)}</p>"),
        Table("propensity_models", res.propensity.scores, "Propensity candidates (out-of-fold)",
              out.table(f"{pre}propensity_models", res.propensity.scores)),
        Figure("ps_calibration", out.figure(f"{pre}ps_calibration", ate_plots.calibration_figure(
            res.propensity.calibration, res.propensity.selected)), "Calibration of each propensity candidate"),
        Figure("ps_overlap", out.figure(f"{pre}ps_overlap", ate_plots.ps_overlap_figure(T, e_raw, cfg.overlap_band)),
               "Propensity by arm; dashed lines mark the near-deterministic band"),
        Table("positivity", key_metrics, "Overlap diagnostics", out.table(f"{pre}positivity", res.positivity_frame)),
        Figure("love_plot", out.figure(f"{pre}love_plot", ate_plots.love_plot(res.balance)),
               f"Balance: {s['n_balanced_unweighted']}/{s['n_covariates']} covariates balanced unweighted, "
               f"{s['n_balanced_ipw']} after IPW, {s['n_balanced_overlap']} after overlap weighting"),
        Table("balance", res.balance, "Standardised mean differences", out.table(f"{pre}balance", res.balance)),
    ]
    head = {k: s[k] for k in ("ps_auc", "share_in_10_90", "share_in_05_95", "crump_alpha",
                              "n_balanced_unweighted", "n_balanced_ipw", "n_covariates")}
    return Section(f"{pre}positivity", f"Propensity and overlap{title_suffix}", PS_NOTE.format(folds=cfg.folds),
                   blocks, list(res.warnings), head)


def _outcome_blocks(res: AteResult, outcome: str, out: OutputDir, pre: str) -> list:
    h = res.headline[outcome]
    table = res.ate[res.ate["outcome"] == outcome].drop(columns="outcome")
    table = table.assign(minus_headline=table["estimate"] - h["estimate"])
    sens = res.sensitivity[res.sensitivity["outcome"] == outcome]
    slug = _slug(outcome)
    text = (f"<p><strong>{html.escape(outcome)}</strong>: headline {html.escape(h['estimand'])} "
            f"= {_fmt(h['estimate'])} (95% CI {_fmt(h['ci_lower'])} to {_fmt(h['ci_upper'])}, n = {h['n']}; "
            f"method {html.escape(h['method'])}). Why this one: {html.escape(h['reason'])} "
            f"E-value {h['e_value']:.2f} (CI limit: {h['e_value_ci']:.2f}).</p>")
    return [
        Text(text),
        Table(f"ate_{slug}", table, f"Average effects on {outcome} (minus_headline = distance from the headline)"),
        Figure(f"ate_forest_{slug}", out.figure(f"{pre}ate_forest_{slug}", ate_plots.forest_plot(
            res.ate[res.ate["outcome"] == outcome], outcome)), f"Estimates and 95% CIs for {outcome}"),
        Figure(f"ate_trimming_{slug}", out.figure(f"{pre}ate_trimming_{slug}", ate_plots.trimming_figure(
            res.ate[res.ate["outcome"] == outcome], outcome)), f"Trimming sensitivity for {outcome}"),
        Table(f"sensitivity_{slug}", sens.drop(columns="outcome"),
              f"Bounds and sensitivity for {outcome}: Manski no-assumption bounds, E-value, DML robustness value"),
    ]


def ate_sections(res: AteResult, out: OutputDir, *, cfg: AteConfig, label: str = "") -> list[Section]:
    """Write the Track 2a tables/figures of ``res`` under ``out`` and return the positivity and ATE sections."""
    pre = f"{_slug(label)}_" if label else ""
    suffix = f" ({html.escape(label)})" if label else ""
    out.table(f"{pre}ate", res.ate)
    out.table(f"{pre}ate_sensitivity", res.sensitivity)
    out.table(f"{pre}propensity_calibration", res.propensity.calibration)
    blocks = []
    for outcome in res.headline:
        blocks += _outcome_blocks(res, outcome, out, pre)
    note = ATE_NOTE.format(cov=cfg.min_coverage, b=cfg.overlap_band, b1=1 - cfg.overlap_band)
    head = {o: {k: v for k, v in h.items() if k != "reason"} for o, h in res.headline.items()}
    return [_positivity_section(res, res.treatment, res.e_raw, cfg, out, pre, suffix),
            Section(f"{pre}ate", f"Average effects{suffix}", note, blocks, [], head)]
