"""Figures of the policy stage (matplotlib, Agg backend); each function returns a Figure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..plotting import pyplot
from ..report.format import money


def policy_comparison_figure(policies: pd.DataFrame):
    """DR profit with 95% CI per policy, the plug-in profit as a hollow marker beside it."""
    plt = pyplot()
    dr = policies[policies["method"] == "dr"].set_index("policy")
    pl = policies[policies["method"] == "plugin"].set_index("policy")
    order = dr.sort_values("profit").index
    y = np.arange(len(order))
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(order) + 1.5))
    d = dr.loc[order]
    ax.errorbar(d["profit"], y, xerr=[d["profit"] - d["ci_lower"], d["ci_upper"] - d["profit"]],
                fmt="o", color="tab:blue", capsize=3, label="DR (held-out) profit, 95% CI")
    ax.scatter(pl.loc[order, "profit"], y, marker="D", facecolors="none", edgecolors="tab:red",
               label="plug-in (model's own CATE)")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(y, order)
    ax.set_xlabel("profit ($)")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Policy profit: honest DR estimate vs plug-in")
    return fig


def profit_curve_figure(curve: pd.DataFrame, breakeven_share: float | None = None):
    """Profit and ROI vs share targeted (top-k by CATE), DR with CI band, plug-in dashed, optimum marked."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    x = curve["share"] * 100
    for ax, col, lo, hi, plug, label in (
            (axes[0], "profit", "ci_lower", "ci_upper", "profit_plugin", "profit ($)"),
            (axes[1], "roi", "roi_ci_lower", "roi_ci_upper", "roi_plugin", "ROI (profit / campaign cost)")):
        ax.fill_between(x, curve[lo], curve[hi], color="tab:blue", alpha=0.2, label="DR 95% CI")
        ax.plot(x, curve[col], color="tab:blue", marker="o", ms=3, label="DR (held-out)")
        ax.plot(x, curve[plug], color="tab:red", ls="--", label="plug-in")
        opt = curve[curve["optimum"]]
        if len(opt):
            ax.scatter(opt["share"] * 100, opt[col], s=90, color="gold", edgecolor="k", zorder=5,
                       label=f"DR optimum ({opt['share'].iloc[0]:.0%})")
        if breakeven_share is not None:
            ax.axvline(breakeven_share * 100, color="grey", ls=":", label="share with CATE > break-even")
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xlabel("% of households targeted (largest CATE first)")
        ax.set_ylabel(label)
    axes[0].legend(fontsize=8)
    fig.suptitle("Profit and ROI by share targeted")
    return fig


def sensitivity_figure(pivot: pd.DataFrame):
    """Heatmap of DR profit of the break-even rule over cost (rows) x margin (columns)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    vals = pivot.to_numpy()
    lim = np.nanmax(np.abs(vals)) or 1.0
    im = ax.imshow(vals, cmap="RdYlGn", vmin=-lim, vmax=lim, aspect="auto")
    ax.set_xticks(range(pivot.shape[1]), [f"{m:.0%}" for m in pivot.columns])
    ax.set_yticks(range(pivot.shape[0]), [money(c, 2) for c in pivot.index])
    for i in range(vals.shape[0]):
        for j in range(vals.shape[1]):
            ax.text(j, i, f"{vals[i, j]:,.0f}", ha="center", va="center", fontsize=8)
    ax.set_xlabel("margin")
    ax.set_ylabel("cost per contact")
    fig.colorbar(im, ax=ax, label="DR profit of 'CATE > cost/margin' ($)")
    ax.set_title("Cost x margin sensitivity")
    return fig


def segment_gate_figure(actions: pd.DataFrame, breakeven: float):
    """DR GATE with 95% CI per segment against the break-even line, coloured by action."""
    plt = pyplot()
    colours = {"Expand": "tab:green", "Maintain": "tab:blue", "Reduce": "tab:red", "Test & Learn": "tab:orange"}
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(actions) + 1.5))
    y = np.arange(len(actions))
    for i, r in enumerate(actions.itertuples()):
        ax.errorbar(r.gate, i, xerr=[[r.gate - r.gate_ci_lower], [r.gate_ci_upper - r.gate]], fmt="o",
                    color=colours.get(r.action, "k"), capsize=3)
    ax.axvline(breakeven, color="k", ls="--", label=f"break-even {money(breakeven, 2)}")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(y, [f"{s} ({a})" for s, a in zip(actions["segment"], actions["action"])])
    ax.invert_yaxis()  # largest GATE on top, as in the table
    ax.set_xlabel("DR group average effect on outcome ($), 95% CI")
    ax.legend(fontsize=8)
    ax.set_title("Campaign effect by segment")
    return fig
