"""Report sections of the CATE stage: tables and figures written through ``OutputDir``."""

from __future__ import annotations

import dataclasses

import html
import re

import numpy as np
import pandas as pd

from ...io import OutputDir
from ...report.section import Figure, Section, Table, Text
from . import plots as cate_plots
from .uplift import dr_uplift_curves, naive_binned_uplift
from .registry import BUILTIN_NAMES, ENSEMBLE, LABELS, get_learner

_COUNTS = ("No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten", "Eleven", "Twelve")

METHOD_NOTE = (
    "Every CATE is out-of-fold: for each fold the learner is fit on the other folds. "
    "All evaluation uses doubly-robust (AIPW) scores from cross-fitted nuisances: DR loss estimates each "
    "model's squared CATE error up to a shared constant; AUTOC and QINI (RATE, Yadlowsky et al.) measure "
    "whether the households ranked first really respond more (0 = random ranking), with bootstrap 95% CIs; "
    "the BLP slope is 1 for calibrated CATEs and 0 for uninformative ones; GATES are DR effects by CATE "
    "quintile. The selected model has the least dispersed CATEs among the models within one standard error "
    "of the lowest DR loss. The naive binned AUUC/Qini of the reference are shown for comparison only: with a "
    "non-randomised treatment they are confounded, and their random-targeting baseline is shown next to them. "
    "These pooled out-of-fold numbers compare models; whether the selected model ranks better than random is "
    "decided by the ranking test: the selected learner refit on S random halves of the households, its AUTOC "
    "on the other half's valued units with a household bootstrap, one-sided p = median of the S "
    "household-split p-values ×2 (Chernozhukov, Demirer, Duflo & Fernández-Val)."
)

EVAL_COLUMNS = {
    "label": "model", "cate_mean": "mean CATE", "cate_sd": "sd CATE", "dr_loss": "DR loss",
    "dr_loss_vs_best": "vs best", "dr_loss_vs_best_se": "vs best SE", "r_score": "R-score", "autoc": "AUTOC",
    "autoc_lower": "AUTOC lo", "autoc_upper": "AUTOC hi", "qini": "QINI", "blp_slope": "BLP slope",
    "blp_p": "BLP p", "qini_dr_normalised": "Qini (DR, norm.)", "auuc_naive": "AUUC naive",
    "auuc_naive_random": "AUUC naive random", "selected": "selected",
}


def learners_note(models) -> str:
    """The method note's first sentence, from the registry rows of the learners that ran."""
    rows = [get_learner(m) for m in models if m != ENSEMBLE]
    count = _COUNTS[len(rows)] if len(rows) < len(_COUNTS) else str(len(rows))
    builtin = [r for r in rows if r.name in BUILTIN_NAMES]
    return (f"{count} CATE learner{'s' if len(rows) != 1 else ''} ({', '.join(r.label for r in rows)}; "
            "docs/cate.md describes the built-in ones" + (", which use small LightGBM nuisances" if builtin else "")
            + (") and the mean of the three best (Ensemble)." if ENSEMBLE in models else ")."))


def slug(outcome: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", outcome).strip("_") or "outcome"


def _fmt_table(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_float_dtype(out[c]):
            out[c] = out[c].map(lambda v: "" if pd.isna(v) else f"{v:.4g}")
    return out


def _model_section(res, out: OutputDir, s: str, scale_note: str = "") -> Section:
    title = f"CATE models: {res.outcome}"
    ev = res.evaluation
    csv = out.table(f"cate_models_{s}", ev)
    shown = ev[list(EVAL_COLUMNS)].rename(columns=EVAL_COLUMNS)
    blocks = [
        Text(f"<p><b>Selected: {html.escape(LABELS.get(res.selected, res.selected))}.</b> "
             f"{html.escape(res.selection_reason)}</p>"),
        Table(f"cate_models_{s}", _fmt_table(shown), "Held-out comparison of the CATE models", csv=csv),
    ]
    if scale_note:  # above cate.sample_threshold (causal/cate/scale.py): comparison on the sample, everyone scored
        blocks.insert(1, Text(f"<p><b>Scale:</b> {html.escape(scale_note)} The comparison, figures and "
                              "refutations below use the sampled households.</p>"))
    blocks.append(Figure("dist", out.figure(f"cate_distribution_{s}", cate_plots.distributions(
        res.oof, res.selected, f"Out-of-fold CATE by model: {res.outcome}")), "CATE distributions"))
    blocks.append(Figure("corr", out.figure(f"cate_correlation_{s}", cate_plots.correlation_heatmap(
        res.oof, f"Agreement between models: {res.outcome}")), "Rank correlation of the models' CATEs"))
    models = [m for m in ev["model"]]
    curves = {m: dr_uplift_curves(res.dr_scores, res.oof[f"cate_{m}"]) for m in models}
    toc = res.rate[res.selected].toc
    blocks.append(Figure("uplift", out.figure(f"cate_uplift_{s}", cate_plots.uplift_panels(
        curves, toc, res.naive_curves, res.selected, f"Uplift, Qini and TOC: {res.outcome}")),
        "DR uplift and Qini curves with the random-targeting baseline, TOC of the selected model, and the "
        "reference's naive binned uplift"))
    g = res.gates[res.selected]
    row = ev.set_index("model").loc[res.selected]
    blp = f"BLP slope {row['blp_slope']:.3g} [{row['blp_lower']:.3g}, {row['blp_upper']:.3g}], p = {row['blp_p']:.3g}"
    gcsv = out.table(f"cate_gates_{s}", g)
    blocks.append(Figure("gates", out.figure(f"cate_gates_{s}", cate_plots.gates_plot(
        g, blp, f"GATES, {LABELS.get(res.selected, res.selected)}: {res.outcome}")), "Group effects by CATE quintile"))
    blocks.append(Table(f"cate_gates_{s}", _fmt_table(g), "GATES of the selected model (DR, 95% CI)", csv=gcsv))
    blocks += _ranking_blocks(res.ranking, out, s)
    if res.tuning is not None:
        tcsv = out.table(f"cate_tuning_{s}", res.tuning)
        blocks.append(Table(f"cate_tuning_{s}", _fmt_table(res.tuning), "Optuna tuning (held-out loss)", csv=tcsv))
    h = res.headline
    method = " ".join(filter(None, (learners_note(models), METHOD_NOTE, scale_note, getattr(res, "sample_rule", ""))))
    return Section(key=f"cate_{s}", title=title, method_note=method, blocks=blocks, warnings=[
        w for w in res.warnings if "refutation" not in w], headline={
        f"cate_{s}_model": h["selected_model"], f"cate_{s}_autoc": h["autoc"],
        f"cate_{s}_autoc_ci": (h["autoc_lower"], h["autoc_upper"]), f"cate_{s}_ranking_p": res.ranking.p_value})


def _ranking_blocks(rt, out: OutputDir, s: str) -> list:
    """The ranking test: its verdict in one sentence and the per-split table."""
    csv = out.table(f"cate_ranking_{s}", rt.splits)
    ranks = "ranks" if rt.p_value < 0.05 else "does not rank"
    text = (f"<p><b>Ranking test:</b> the selected model {ranks} the held-out valued households better than "
            f"random at 5%: median AUTOC {rt.estimate:.4g} (95% CI {rt.lower:.4g} to {rt.upper:.4g}), one-sided "
            f"p = {rt.p_value:.3g} = median of {rt.n_splits} household-split p-values ×2. Each split refits the "
            f"learner on half of the households and ranks the other half's units ({html.escape(rt.population)})."
            " The learner and its hyperparameters were chosen on all units (the held-out halves included); "
            "only the ranking is held out.</p>")
    return [Text(text), Table(f"cate_ranking_{s}", _fmt_table(rt.splits),
                              "Ranking test per household split (AUTOC, bootstrap over households; p one-sided; "
                              "bounds at 97.5% so their median is a 95% interval)", csv=csv)]


def _refutation_section(res, out: OutputDir, s: str) -> Section:
    ref = res.refutation
    csv = out.table(f"cate_refutation_{s}", ref)
    se = float(np.std(res.dr_scores, ddof=1) / np.sqrt(len(res.dr_scores)))
    shown = ref[["test", "statistic", "threshold", "passed", "n_runs", "meaning"]]
    label = LABELS.get(res.selected, res.selected)
    return Section(
        key=f"cate_refutation_{s}", title=f"Refutation of the selected model: {res.outcome}",
        method_note=(f"Every test refits {label} (same hyperparameters) after changing one thing: a placebo "
                     "treatment permuted within propensity deciles, an added random covariate, a 50-80% "
                     "subset of households, or an outcome the treatment cannot affect. Statistics are scaled by "
                     "the doubly-robust standard error of the ATE."),
        blocks=[Table(f"cate_refutation_{s}", _fmt_table(shown), "Refutation tests", csv=csv),
                Figure("refute", out.figure(f"cate_refutation_{s}", cate_plots.refutation_plot(
                    res.refutation_runs, se, f"Refutation refits, {label}: {res.outcome}")), "Refutation refits")],
        warnings=[w for w in res.warnings if "refutation" in w],
        headline={f"cate_{s}_refutations_passed": res.headline["refutations_passed"]},
    )


def _interpret_section(res, out: OutputDir, s: str) -> Section:
    icsv = out.table(f"cate_importance_{s}", res.importance)
    rcsv = out.table(f"cate_rules_{s}", res.rules)
    r2 = res.headline.get("surrogate_r2", float("nan"))
    return Section(
        key=f"cate_interpret_{s}", title=f"What drives the effect: {res.outcome}",
        method_note=("SHAP values of a LightGBM surrogate fit to the selected model's out-of-fold CATE "
                     f"(surrogate R^2 = {r2:.2f}), and a depth-limited CATE tree (EconML "
                     "SingleTreeCateInterpreter) whose leaves are checked against doubly-robust estimates."),
        blocks=[Figure("imp", out.figure(f"cate_importance_{s}", cate_plots.importance_plot(
                    res.importance, res.rules, f"CATE drivers: {res.outcome}")), "Importance and CATE tree"),
                Table(f"cate_rules_{s}", _fmt_table(res.rules), "CATE tree rules", csv=rcsv),
                Table(f"cate_importance_{s}", _fmt_table(res.importance), "Feature importance", csv=icsv,
                      max_rows=15)],
    )


def naive_curves(Y, T, oof: pd.DataFrame, models) -> dict[str, pd.DataFrame]:
    """Reference-style binned uplift curves per model (for the figure)."""
    return {m: naive_binned_uplift(Y, T, oof[f"cate_{m}"])[1] for m in models}


def cate_sections(res, out: OutputDir) -> list[Section]:
    """Write the CATE stage's tables and figures from its result and return its report sections. The model
    comparison describes the units the models were compared on (the sample, above cate.sample_threshold; the
    sentence of such a sampled fit, ``res.scale_note``, is shown as a Text block and in the method note)."""
    shown = res if res.sample_rows is None else dataclasses.replace(
        res, oof=res.compared_oof, dr_scores=res.dr_scores[res.sample_rows])
    s = slug(res.outcome)
    return [_model_section(shown, out, s, res.scale_note), _refutation_section(shown, out, s),
            _interpret_section(shown, out, s)]
