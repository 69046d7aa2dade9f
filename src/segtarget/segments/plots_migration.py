"""Figures of segment migration (flows between quarters) and of the stability-versus-k curve."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..plotting import pyplot


def _stack(counts: pd.Series, order: list[str], gap: float) -> dict[str, tuple[float, float]]:
    """Bottom and top of each state's block in one column (top to bottom in ``order``)."""
    out, y = {}, 0.0
    for s in order:
        h = float(counts.get(s, 0))
        out[s] = (y, y + h)
        y += h + gap
    return out


def flows(transitions: pd.DataFrame, order: list[str]):
    """Alluvial chart: one column per quarter, blocks = households per segment, bands = moves between them."""
    plt = pyplot()
    quarters = list(dict.fromkeys(list(transitions["from_quarter"]) + list(transitions["to_quarter"])))
    colours = dict(zip(order, pyplot().get_cmap("tab10")(np.arange(len(order)) % 10)))
    total = transitions.groupby("from_quarter")["households"].sum().max()
    gap = 0.02 * total
    fig, ax = plt.subplots(figsize=(2.6 * len(quarters) + 2, 5.5))
    for i, (qa, qb) in enumerate(zip(quarters[:-1], quarters[1:])):
        t = transitions[transitions["from_quarter"] == qa]
        left = _stack(t.groupby("from_segment")["households"].sum(), order, gap)
        right = _stack(t.groupby("to_segment")["households"].sum(), order, gap)
        lpos = {s: lo for s, (lo, _) in left.items()}
        rpos = {s: lo for s, (lo, _) in right.items()}
        xs = np.linspace(i + 0.08, i + 0.92, 30)
        smooth = (1 - np.cos(np.linspace(0, np.pi, 30))) / 2
        for _, r in t.iterrows():
            h = r["households"]
            a, b = lpos[r["from_segment"]], rpos[r["to_segment"]]
            lower = a + (b - a) * smooth
            ax.fill_between(xs, lower, lower + h, color=colours[r["from_segment"]], alpha=0.35, lw=0)
            lpos[r["from_segment"]] += h
            rpos[r["to_segment"]] += h
        for x, blocks in ((i, left), (i + 1, right)):
            for s, (lo, hi) in blocks.items():
                if hi > lo:
                    ax.add_patch(plt.Rectangle((x - 0.08, lo), 0.16, hi - lo, color=colours[s]))
    ax.set_xticks(range(len(quarters)), quarters)
    ax.set_yticks([])
    ax.invert_yaxis()
    ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=colours[s]) for s in order], labels=order,
              loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    ax.set_title("Households moving between segments, quarter to quarter")
    for spine in ax.spines.values():
        spine.set_visible(False)
    return fig


def stability_curve(grid: pd.DataFrame, ari_min: float, jaccard_min: float, chosen: tuple[int, int]):
    """Mean bootstrap ARI and smallest segment Jaccard by k, one line per NMF rank; the bar and the choice."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharex=True)
    for r, g in grid.groupby("nmf_k"):
        g = g.sort_values("k")
        axes[0].plot(g["k"], g["ari_mean"], marker="o", label=f"NMF rank {r}")
        axes[1].plot(g["k"], g["jaccard_min"], marker="o", label=f"NMF rank {r}")
    for ax, bar, title in ((axes[0], ari_min, "mean ARI, full-pipeline refits"),
                           (axes[1], jaccard_min, "least stable segment: mean Jaccard")):
        ax.axhline(bar, ls="--", color="grey", lw=1)
        ax.axvline(chosen[1], ls=":", color="black", lw=1)
        ax.set_title(title)
        ax.set_xlabel("segments k")
        ax.set_ylim(0, 1.02)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Stability by segment count (chosen: NMF rank {chosen[0]}, k = {chosen[1]})")
    fig.tight_layout()
    return fig
