"""Uplift and Qini curves: doubly-robust (held-out) versions, and the reference's naive binned metrics.

Units are sorted by predicted CATE, highest first; q is the share targeted. With AIPW scores Gamma_i
(from cross-fitted nuisances) and n units:

DR uplift curve       u(q) = mean of Gamma over the top ceil(q n) units: the average effect among the
                      targeted. Random targeting gives the flat line u = ATE = mean(Gamma).
DR gain (Qini) curve  g(q) = (1/n) * sum of Gamma over the top ceil(q n): incremental outcome per household
                      of the whole population when the top q are targeted. Random: the line q * ATE.
                      "Perfect" ordering (sorting by Gamma itself) gives the upper envelope g*(q).
AUUC (DR)             integral of u(q) dq. AUUC - ATE is exactly the AUTOC of :mod:`rate`.
Qini coefficient (DR) integral of (g(q) - q ATE) dq, exactly the QINI RATE of :mod:`rate`.
Normalised Qini (DR)  (area between model and random) / (area between perfect and random), the
                      scikit-uplift convention; 0 = random, 1 = perfect. The DR "perfect" curve includes the
                      noise of Gamma, so this ratio is small even for a good model: use it to compare models
                      on the same data, not across data sets.

Naive binned metrics (reference_spec.md section 5.4, kept for comparison only): at f = 0.1, 0.2, ..., 1.0
take the top int(n f) units; u(f) = mean(Y | T=1) - mean(Y | T=0) in that set (0 if an arm is empty);
AUUC = trapezoid area of u over f in [0.1, 1]. Qini: q(f) = sum Y_t - sum Y_c * n_t / n_c in the top set;
coefficient = trapezoid area of q minus that of the random line f (sum Y_t - sum Y_c N_t / N_c). With
non-randomised T these are confounded by selection; the reference reported the AUUC without its random
baseline, which we show next to it: a random ranking gives u(f) equal to the overall naive difference for
every f, so the random AUUC is 0.9 x (naive difference).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _order(priorities: np.ndarray) -> np.ndarray:
    return np.argsort(-np.asarray(priorities, float), kind="mergesort")


def dr_uplift_curves(scores, priorities, grid: int = 100) -> pd.DataFrame:
    """DR uplift, gain, random and perfect curves on ``grid`` equally spaced targeting shares."""
    g = np.asarray(scores, float)
    n = len(g)
    ate = g.mean()
    cum = np.cumsum(g[_order(priorities)])
    perfect = np.cumsum(np.sort(g)[::-1])
    qs = np.arange(1, grid + 1) / grid
    k = np.clip(np.ceil(qs * n).astype(int), 1, n)
    uplift = cum[k - 1] / k
    return pd.DataFrame({
        "q": qs, "uplift": uplift, "uplift_random": np.full(grid, ate),
        "gain": cum[k - 1] / n, "gain_random": qs * ate, "gain_perfect": perfect[k - 1] / n,
    })


def dr_uplift_summary(scores, priorities) -> dict[str, float]:
    """Exact (unit-level) DR areas: AUUC, its random baseline, Qini coefficient and normalised Qini."""
    g = np.asarray(scores, float)
    n = len(g)
    ate = g.mean()
    j = np.arange(1, n + 1)
    cum = np.cumsum(g[_order(priorities)])
    perfect = np.cumsum(np.sort(g)[::-1])
    auuc = float(np.mean(cum / j))
    qini = float(np.mean(cum / n - j / n * ate))
    qini_perfect = float(np.mean(perfect / n - j / n * ate))
    return {
        "auuc_dr": auuc, "auuc_dr_random": float(ate), "auuc_dr_minus_random": auuc - float(ate),
        "qini_dr": qini, "qini_dr_normalised": qini / qini_perfect if qini_perfect > 0 else float("nan"),
    }


def naive_binned_uplift(Y, T, priorities, n_bins: int = 10) -> tuple[dict[str, float], pd.DataFrame]:
    """The reference's binned AUUC / Qini on observed (non-randomised) T, with random baselines."""
    Y = np.asarray(Y, float)
    T = np.asarray(T, int)
    n = len(Y)
    o = _order(priorities)
    ys, ts = Y[o], T[o]
    fs = np.arange(1, n_bins + 1) / n_bins
    rows = []
    Nt, Nc = ts.sum(), (1 - ts).sum()
    total_line = Y[T == 1].sum() - Y[T == 0].sum() * Nt / max(Nc, 1)
    for f in fs:
        top = int(n * f)
        y, t = ys[:top], ts[:top]
        nt, nc = t.sum(), (1 - t).sum()
        u = (y[t == 1].mean() - y[t == 0].mean()) if nt > 0 and nc > 0 else 0.0
        q = (y[t == 1].sum() - y[t == 0].sum() * nt / nc) if nc > 0 else 0.0
        rows.append({"f": f, "uplift": u, "qini": q, "qini_random": f * total_line})
    curve = pd.DataFrame(rows)
    naive_diff = float(Y[T == 1].mean() - Y[T == 0].mean())
    auuc = float(np.trapezoid(curve["uplift"], curve["f"]))
    qini = float(np.trapezoid(curve["qini"], curve["f"]) - np.trapezoid(curve["qini_random"], curve["f"]))
    random_auuc = naive_diff * (fs[-1] - fs[0])
    return {"auuc_naive": auuc, "auuc_naive_random": random_auuc, "auuc_naive_minus_random": auuc - random_auuc,
            "qini_naive": qini}, curve
