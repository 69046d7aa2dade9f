"""Ground-truth validation: run the CATE stage on semi-synthetic data and score it against the true effect.

Per model (all on out-of-fold CATE tau_hat, true CATE tau, breakeven b):

- sqrt(PEHE) = sqrt(mean((tau_hat - tau)^2)): household-level accuracy, in outcome units.
- ATE bias = mean(tau_hat) - mean(tau).
- Spearman rank correlation of tau_hat with tau: what targeting by rank needs.
- Policy regret at the breakeven rule "target iff CATE > b": mean((tau - b) (1[tau > b] - 1[tau_hat > b])),
  the incremental outcome per household (net of the breakeven) lost against targeting with the true
  effects; 0 is perfect. ``regret_share`` divides by the oracle's value mean((tau - b) 1[tau > b]).
- Interval coverage: share of households whose true effect lies in the model's 95% interval (models with
  intervals only).

"Should have picked": the model with the lowest sqrt(PEHE), the quantity the DR-loss rule estimates. The
report states whether the rule found it and, if not, how much worse the selected model is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...plotting import pyplot
from ...io import OutputDir
from ...report.section import Figure, Section, Table, Text
from ..cate.config import CateConfig
from .semisynth import SemiSynthetic, make_semisynthetic
from ..cate.zoo import LABELS


def truth_metrics(oof: pd.DataFrame, tau, breakeven: float) -> pd.DataFrame:
    """The metrics of the module docstring for every ``cate_<model>`` column of ``oof``."""
    from scipy.stats import spearmanr

    tau = np.asarray(tau, float)
    oracle = float(np.mean((tau - breakeven) * (tau > breakeven)))
    rows = []
    for col in [c for c in oof.columns if c.startswith("cate_") and c not in ("cate_lower", "cate_upper")]:
        c = oof[col].to_numpy(float)
        regret = float(np.mean((tau - breakeven) * ((tau > breakeven).astype(float) - (c > breakeven))))
        rows.append({"model": col[5:], "sqrt_pehe": float(np.sqrt(np.mean((c - tau) ** 2))),
                     "ate_bias": float(c.mean() - tau.mean()),
                     "spearman": float(spearmanr(c, tau)[0]) if np.std(c) > 0 else float("nan"),
                     "regret": regret, "regret_share": regret / oracle if oracle > 0 else float("nan")})
    out = pd.DataFrame(rows)
    sel = oof["model"].iloc[0]
    lo, hi = oof["cate_lower"].to_numpy(float), oof["cate_upper"].to_numpy(float)
    out["coverage"] = np.nan
    if np.isfinite(lo).all() and np.isfinite(hi).all():
        out.loc[out["model"] == sel, "coverage"] = float(np.mean((lo <= tau) & (tau <= hi)))
    return out


@dataclass(frozen=True)
class ValidationResult:
    """Semi-synthetic data summary, per-model truth metrics and the verdict on the selection rule."""

    data: pd.DataFrame  # one-row summary of the simulated campaign
    table: pd.DataFrame  # per model: held-out metrics the user sees + truth metrics
    selected: str
    should_have_picked: str
    picked_right: bool
    verdict: str
    cate: object  # the CateResult of the run

    def summary_frame(self) -> pd.DataFrame:
        return self.table


def _verdict(table: pd.DataFrame, selected: str) -> tuple[str, bool, str]:
    t = table.set_index("model")
    best = str(t["sqrt_pehe"].idxmin())
    rank = int(t["sqrt_pehe"].rank(method="min")[selected])
    ok = selected == best
    s, b = t.loc[selected], t.loc[best]
    if ok:
        text = (f"The rule picked {LABELS.get(selected, selected)}, which has the lowest true sqrt(PEHE) "
                f"({s['sqrt_pehe']:.3g}) of the {len(t)} models.")
    else:
        text = (f"The rule picked {LABELS.get(selected, selected)} (true sqrt(PEHE) {s['sqrt_pehe']:.3g}, rank {rank} "
                f"of {len(t)}); the best model was {LABELS.get(best, best)} ({b['sqrt_pehe']:.3g}; the selected "
                f"model's error is {100 * (s['sqrt_pehe'] / b['sqrt_pehe'] - 1):.0f}% higher). Regret at the "
                f"breakeven rule: "
                f"{s['regret']:.3g} vs {b['regret']:.3g} per household.")
    return best, ok, text


def validate_on(sim: SemiSynthetic, *, cfg: CateConfig, seed: int, out: OutputDir, n_jobs: int = -1,
                progress=None) -> tuple[ValidationResult, list[Section]]:
    """Run the CATE stage on ``sim`` and compare every model with the truth."""
    from ..cate.pipeline import run_cate

    res, cate_sections = run_cate(sim.Y, sim.T, sim.X, nuisances=None, cfg=cfg, random_state=seed, out=out,
                                  outcome="simulated spend", breakeven=sim.breakeven, n_jobs=n_jobs,
                                  progress=progress)
    keep = ["model", "label", "dr_loss", "dr_loss_vs_best", "dr_loss_vs_best_se", "cate_sd", "autoc", "autoc_p",
            "blp_slope", "selected"]
    table = res.evaluation[keep].merge(truth_metrics(res.oof, sim.tau, sim.breakeven), on="model")
    best, ok, text = _verdict(table, res.selected)
    table["should_have_picked"] = table["model"] == best
    data = sim.summary_frame()
    data["aipw_ate"] = float(np.mean(res.dr_scores))
    result = ValidationResult(data, table, res.selected, best, ok, text, res)
    return result, [_section(result, sim, out)] + cate_sections


def run_validation(X: pd.DataFrame, *, cfg: CateConfig, seed: int, out: OutputDir, breakeven: float,
                   auc: float = 0.95, effect_scale: float = 1.0, n_jobs: int = -1,
                   progress=None) -> tuple[ValidationResult, list[Section]]:
    """Simulate a campaign on the covariates ``X`` (see :mod:`semisynth`) and validate the CATE stage; the regret
    is taken at ``breakeven`` (``segtarget validate``: policy.cost / policy.margin of the config)."""
    sim = make_semisynthetic(X, auc=auc, seed=seed, breakeven=breakeven, effect_scale=effect_scale)
    return validate_on(sim, cfg=cfg, seed=seed, out=out, n_jobs=n_jobs, progress=progress)


def _figure(table: pd.DataFrame, oof: pd.DataFrame, tau: np.ndarray, selected: str, breakeven: float):
    plt = pyplot()

    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.5))
    t = table.sort_values("sqrt_pehe")
    colors = ["C3" if m == selected else "C0" for m in t["model"]]
    a.barh([LABELS.get(m, m) for m in t["model"]], t["sqrt_pehe"], color=colors)
    a.invert_yaxis()
    a.set(xlabel="true sqrt(PEHE) (red: selected by the DR rule)", title="Accuracy against the known effect")
    c = oof["cate"].to_numpy()
    b.scatter(tau, c, s=5, alpha=0.4)
    lim = [min(tau.min(), np.percentile(c, 1)), max(tau.max(), np.percentile(c, 99))]
    b.plot(lim, lim, "k--", lw=1, label="perfect")
    b.axvline(breakeven, color="C2", lw=0.8, label="breakeven")
    b.axhline(breakeven, color="C2", lw=0.8)
    b.set(xlabel="true CATE", ylabel="out-of-fold CATE (selected)", ylim=lim,
          title=f"{LABELS.get(selected, selected)} vs truth")
    b.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _section(result: ValidationResult, sim: SemiSynthetic, out: OutputDir) -> Section:
    import html

    csv = out.table("validation_models", result.table)
    dcsv = out.table("validation_data", result.data)
    fig = out.figure("validation_truth", _figure(result.table, result.cate.oof, sim.tau, result.selected,
                                                 sim.breakeven))
    shown = result.table.copy()
    for c in shown.columns:
        if pd.api.types.is_float_dtype(shown[c]):
            shown[c] = shown[c].map(lambda v: "" if pd.isna(v) else f"{v:.4g}")
    warn = [] if result.picked_right else [f"Semi-synthetic check: {result.verdict}"]
    return Section(
        key="validation", title="Ground-truth validation on semi-synthetic data",
        method_note=("Treatment and spend are simulated on the real household covariates with a known effect "
                     "(heavy buyers respond negatively), confounded assignment with the stated propensity AUC and "
                     "skewed spend noise. The zoo runs exactly as on real data; the truth is used only to score it."),
        blocks=[Text(f"<p><b>{html.escape(result.verdict)}</b></p>"),
                Table("validation_data", result.data, "Simulated campaign", csv=dcsv),
                Table("validation_models", shown, "Held-out metrics (what a user sees) and truth metrics", csv=csv),
                Figure("validation_truth", fig, "True sqrt(PEHE) per model and the selected model against the truth")],
        warnings=warn,
        headline={"validation_selected": LABELS.get(result.selected, result.selected),
                  "validation_best": LABELS.get(result.should_have_picked, result.should_have_picked),
                  "validation_picked_right": result.picked_right},
    )


def default_covariates() -> pd.DataFrame:
    """Household features of the embedded Complete Journey data (the 19 reduced features), NaN -> 0."""
    from ...data import load_source
    from ...features import REDUCED_FEATURES, compute_features

    tables = load_source("completejourney")
    feats = compute_features(tables, exposure=False)
    return feats[[c for c in REDUCED_FEATURES if c in feats.columns]].fillna(0.0).reset_index(drop=True)

