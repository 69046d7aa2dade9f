"""Figures of Track 2a: propensity overlap and calibration, love plot, ATE forest plot, trimming curve.

Every function returns a matplotlib Figure (Agg backend) and does no I/O; the caller saves it through
``OutputDir.figure``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...plotting import pyplot


def ps_overlap_figure(T: np.ndarray, e: np.ndarray, band: float):
    """Mirrored histograms of the cross-fitted propensity: treated up, controls down."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    bins = np.linspace(0, 1, 41)
    t = np.asarray(T) == 1
    h1, _ = np.histogram(e[t], bins)
    h0, _ = np.histogram(e[~t], bins)
    width = np.diff(bins)
    ax.bar(bins[:-1], h1, width=width, align="edge", color="#d95f02", label=f"treated (n={t.sum()})")
    ax.bar(bins[:-1], -h0, width=width, align="edge", color="#1b9e77", label=f"control (n={(~t).sum()})")
    for x in (band, 1 - band):
        ax.axvline(x, color="grey", ls="--", lw=1)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xlabel("cross-fitted propensity e(x)")
    ax.set_ylabel("units (controls below the axis)")
    ax.set_title("Propensity overlap by arm")
    ax.legend(loc="upper center")
    return fig


def calibration_figure(calibration: pd.DataFrame, selected: str):
    """Reliability diagram of each propensity candidate (observed treated share vs mean prediction)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1)
    for name, g in calibration.groupby("model"):
        err = [g["observed_share"] - g["ci_lower"], g["ci_upper"] - g["observed_share"]]
        ax.errorbar(g["mean_predicted"], g["observed_share"], yerr=err, marker="o", capsize=2,
                    label=f"{name}{' (selected)' if name == selected else ''}")
    ax.set_xlabel("mean predicted propensity (bin)")
    ax.set_ylabel("observed treated share")
    ax.set_title("Propensity calibration (out-of-fold)")
    ax.legend()
    return fig


def love_plot(balance: pd.DataFrame):
    """|SMD| per covariate before and after weighting; the 0.1 line marks 'balanced'."""
    plt = pyplot()
    order = balance.reindex(balance["smd_unweighted"].abs().sort_values().index)
    fig, ax = plt.subplots(figsize=(7, max(3, 0.32 * len(order) + 1)))
    y = np.arange(len(order))
    styles = {"smd_unweighted": ("unweighted", "o", "black"), "smd_ipw": ("IPW", "s", "#7570b3"),
              "smd_overlap": ("overlap weights", "^", "#1b9e77"), "smd_att": ("ATT weights", "D", "#d95f02")}
    for col, (label, marker, color) in styles.items():
        ax.scatter(order[col].abs(), y, marker=marker, color=color, label=label, zorder=3)
    ax.axvline(0.1, color="grey", ls="--", lw=1)
    ax.set_yticks(y, order["covariate"])
    ax.set_xlabel("|standardised mean difference|")
    ax.set_title("Covariate balance (love plot)")
    ax.legend(loc="lower right", fontsize=8)
    return fig


def forest_plot(table: pd.DataFrame, outcome: str):
    """Point estimate and 95% CI of every untrimmed method; the headline row is highlighted."""
    plt = pyplot()
    rows = table[(table["trim"] == 0)].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(rows) + 1.2))
    y = np.arange(len(rows))[::-1]
    for yi, (_, r) in zip(y, rows.iterrows()):
        color = "#d95f02" if r.get("default", False) else "#333333"
        ax.errorbar(r["estimate"], yi, xerr=[[r["estimate"] - r["ci_lower"]], [r["ci_upper"] - r["estimate"]]],
                    fmt="o", color=color, capsize=3)
    ax.axvline(0, color="grey", lw=1)
    ax.set_yticks(y, [f"{m}{' (headline)' if d else ''}" for m, d in zip(rows["method"], rows["default"])])
    ax.set_xlabel(f"effect on {outcome} (95% CI)")
    ax.set_title(f"Average effects: {outcome}")
    return fig


def trimming_figure(table: pd.DataFrame, outcome: str):
    """AIPW and DML estimates as the propensity trimming threshold grows (n retained annotated)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    series = {"AIPW": ("aipw", "aipw_trim", "#1b9e77", -0.002), "DML": ("dml", "dml_trim", "#7570b3", 0.002)}
    for label, (full, trimmed, color, dx) in series.items():
        s = table[((table["method"] == full) & (table["trim"] == 0)) | (table["method"] == trimmed)]
        s = s.sort_values("trim")
        if s.empty:
            continue
        ax.errorbar(s["trim"] + dx, s["estimate"], yerr=[s["estimate"] - s["ci_lower"], s["ci_upper"] - s["estimate"]],
                    fmt="o-", color=color, capsize=3, label=label)
        for _, r in s.iterrows():
            ax.annotate(f"n={int(r['n'])}", (r["trim"] + dx, r["ci_upper"]), fontsize=7, ha="center",
                        va="bottom", color=color)
    ax.axhline(0, color="grey", lw=1)
    ax.set_xlabel("trimming threshold t (keep e in [t, 1-t])")
    ax.set_ylabel(f"effect on {outcome} (95% CI)")
    ax.set_title(f"Sensitivity to propensity trimming: {outcome}")
    ax.legend()
    return fig
