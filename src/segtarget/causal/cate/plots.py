"""Figures of the CATE stage (matplotlib, Agg). Each function returns a figure; the caller saves it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...plotting import pyplot
from .zoo import LABELS


def _label(m: str, selected: str) -> str:
    return LABELS.get(m, m) + (" (selected)" if m == selected else "")


def distributions(oof: pd.DataFrame, selected: str, title: str):
    """Histogram outlines of every model's out-of-fold CATE; the selected one drawn thick."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    cols = [c for c in oof.columns if c.startswith("cate_") and c not in ("cate_lower", "cate_upper")]
    allv = np.concatenate([oof[c].to_numpy() for c in cols])
    lo, hi = np.nanpercentile(allv, [1, 99])
    bins = np.linspace(lo, hi, 50) if hi > lo else 20
    for c in cols:
        m = c[len("cate_"):]
        v = oof[c].to_numpy()
        ax.hist(v, bins=bins, histtype="step", lw=2.5 if m == selected else 1.0,
                label=f"{_label(m, selected)}: mean {np.mean(v):.3g}, sd {np.std(v):.3g}")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("out-of-fold CATE (1st-99th percentile range)")
    ax.set_ylabel("households")
    ax.set_title(title)
    ax.legend(fontsize=7)
    return fig


def correlation_heatmap(oof: pd.DataFrame, title: str):
    """Spearman correlations between the models' out-of-fold CATEs."""
    plt = pyplot()
    cols = [c for c in oof.columns if c.startswith("cate_") and c not in ("cate_lower", "cate_upper")]
    corr = oof[cols].rank().corr().to_numpy()
    names = [LABELS.get(c[5:], c[5:]) for c in cols]
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    im = ax.imshow(corr, vmin=-1, vmax=1, cmap="RdBu_r")
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(j, i, f"{corr[i, j]:.2f}", ha="center", va="center", fontsize=7)
    fig.colorbar(im, ax=ax, shrink=0.8, label="Spearman correlation")
    ax.set_title(title)
    return fig


def uplift_panels(curves: dict[str, pd.DataFrame], toc: pd.DataFrame, naive: dict[str, pd.DataFrame],
                  selected: str, title: str):
    """DR uplift curve, DR gain (Qini) curve, TOC of the selected model, naive binned uplift; with baselines."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    a = axes[0, 0]
    for m, c in curves.items():
        a.plot(c["q"], c["uplift"], lw=2.5 if m == selected else 1, label=_label(m, selected))
    first = next(iter(curves.values()))
    a.plot(first["q"], first["uplift_random"], "k--", lw=1, label="random targeting (ATE)")
    a.set(xlabel="share targeted (by predicted CATE)", ylabel="mean DR score of targeted",
          title="DR uplift curve")
    a.legend(fontsize=7)
    a = axes[0, 1]
    for m, c in curves.items():
        a.plot(c["q"], c["gain"], lw=2.5 if m == selected else 1, label=_label(m, selected))
    a.plot(first["q"], first["gain_random"], "k--", lw=1, label="random targeting")
    a.set(xlabel="share targeted", ylabel="incremental outcome per household", title="DR Qini (gain) curve")
    a.legend(fontsize=7)
    a = axes[1, 0]
    a.plot(toc["q"], toc["toc"], color="C3", lw=2)
    a.fill_between(toc["q"], toc["lower"], toc["upper"], color="C3", alpha=0.2, label="pointwise 95% CI")
    a.axhline(0, color="k", ls="--", lw=1, label="random targeting")
    a.set(xlabel="share targeted", ylabel="TOC(q)", title=f"TOC, {_label(selected, selected)}")
    a.legend(fontsize=7)
    a = axes[1, 1]
    for m, c in naive.items():
        a.plot(c["f"], c["uplift"], marker="o", ms=3, lw=2.5 if m == selected else 1, label=_label(m, selected))
    nc = next(iter(naive.values()))
    a.axhline(nc["uplift"].iloc[-1], color="k", ls="--", lw=1, label="random (overall naive difference)")
    a.set(xlabel="share targeted", ylabel="mean(Y|T=1) - mean(Y|T=0)",
          title="Naive binned uplift (reference metric; confounded)")
    a.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def gates_plot(gates: pd.DataFrame, blp_text: str, title: str):
    """GATES by CATE quintile with 95% CIs next to the mean predicted CATE."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    x = gates["group"].to_numpy()
    ax.bar(x, gates["gate"], color="C0", alpha=0.6, label="DR group effect (95% CI)")
    ax.errorbar(x, gates["gate"], yerr=[gates["gate"] - gates["ci_lower"], gates["ci_upper"] - gates["gate"]],
                fmt="none", ecolor="k", capsize=4)
    ax.plot(x, gates["cate_mean"], "o-", color="C3", label="mean predicted CATE")
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(xlabel="CATE group (1 = lowest predicted effect)", ylabel="effect", title=title)
    ax.text(0.02, 0.97, blp_text, transform=ax.transAxes, va="top", fontsize=8)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def refutation_plot(runs: pd.DataFrame, se: float, title: str):
    """Refit ATEs by test around the real ATE (+-1 SE band) and placebo CATE spread vs the real spread."""
    plt = pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.5))
    final = runs[runs["kind"] == "final"].iloc[0]
    kinds = [k for k in ("placebo", "random_cause", "subset", "dummy") if (runs["kind"] == k).any()]
    for i, k in enumerate(kinds):
        v = runs.loc[runs["kind"] == k, "ate"].to_numpy()
        a.scatter(np.full(len(v), i) + np.linspace(-0.15, 0.15, len(v)), v, s=14)
    a.axhspan(final["ate"] - se, final["ate"] + se, color="C2", alpha=0.15, label="real ATE +- 1 SE")
    a.axhline(final["ate"], color="C2")
    a.axhline(0, color="k", ls="--", lw=0.8, label="zero (expected for placebo / dummy)")
    a.set_xticks(range(len(kinds)), kinds)
    a.set(ylabel="mean CATE of the refit", title="Average effect of each refit")
    a.legend(fontsize=7)
    p = runs.loc[runs["kind"] == "placebo", "cate_sd"].to_numpy()
    if len(p):
        b.hist(p, bins=15, color="C1", alpha=0.7, label="placebo refits")
    b.axvline(final["cate_sd"], color="C2", lw=2, label="real treatment")
    b.set(xlabel="sd of CATE across households", ylabel="refits", title="Heterogeneity: placebo vs real")
    b.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def importance_plot(importance: pd.DataFrame, rules: pd.DataFrame, title: str, top: int = 15):
    """Mean |SHAP| per feature and the CATE tree's leaves (model CATE vs DR effect with 95% CI)."""
    plt = pyplot()
    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [1, 1.3]})
    imp = importance.head(top).iloc[::-1]
    colors = ["C3" if d > 0 else "C0" for d in imp["direction"]]
    a.barh(imp["feature"], imp["mean_abs_shap"], color=colors)
    a.set(xlabel="mean |SHAP| (red: higher value raises the effect)", title="What drives the CATE")
    a.tick_params(axis="y", labelsize=7)
    y = np.arange(len(rules))
    xerr = [rules["dr_effect"] - rules["dr_lower"], rules["dr_upper"] - rules["dr_effect"]]
    b.errorbar(rules["dr_effect"], y, xerr=xerr,
               fmt="o", color="k", capsize=3, label="DR effect (95% CI)")
    b.scatter(rules["mean_cate"], y, color="C3", zorder=3, label="model CATE")
    b.axvline(0, color="grey", lw=0.8)
    b.set_yticks(y, [f"{r} (n={n})" for r, n in zip(rules["rule"], rules["n"])], fontsize=7)
    b.set(xlabel="effect", title="CATE tree leaves")
    b.legend(fontsize=7)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
