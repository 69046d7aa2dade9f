"""``segtarget validate``: score the CATE model zoo against a known effect on semi-synthetic data.

Treatment and spend are simulated on real household covariates (the embedded Complete Journey features,
or ``--features FILE``); the command writes ``validation.csv`` (per model: held-out metrics and sqrt(PEHE),
ATE bias, Spearman, regret, whether it should have been picked), ``cate.csv``, ``cate_models.csv``,
``refutation.csv``, ``tables/``, ``figures/`` and ``report.html``. The directory appears only when
everything succeeded.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from .root import app


@app.command("validate")
def validate(
    out: Path = typer.Option(Path("validation"), "--out", help="Output directory (replaced atomically)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Random seed for the simulation and the models; sets "
                                                            "run.seed, whose value it defaults to."),
    auc: float = typer.Option(0.95, "--auc", help="ROC AUC of the true propensity (0.5-0.999; reference: 0.99)."),
    effect_scale: float = typer.Option(2.0, "--effect-scale",
                                       help="Multiplies the simulated effects (1 = realistic, weak heterogeneity)."),
    breakeven: Optional[float] = typer.Option(None, "--breakeven", help="CATE above which targeting pays (default: "
                                                                        "policy.cost / policy.margin of the config, "
                                                                        "the run's break-even)."),
    features: Optional[Path] = typer.Option(None, "--features",
                                            help="CSV/parquet of household covariates (default: embedded data)."),
    config: Optional[Path] = typer.Option(None, "--config", help="TOML config; its cate, run and policy "
                                                                "(break-even) sections are used."),
    set_: Optional[List[str]] = typer.Option(None, "--set", help="Override, e.g. cate.n_trials=20 (repeatable)."),
) -> None:
    """Simulate a campaign with a known effect on real covariates and check every CATE model against it."""
    from ..causal.cate.pipeline import write_cate_outputs
    from ..causal.validation.scoring import default_covariates, run_validation
    from ..config import load_config
    from ..errors import SegtargetError
    from ..io import OutputDir, atomic_output_dir, atomic_write_table, read_table

    cfg = load_config(config, [*(set_ or []), *([f"run.seed={seed}"] if seed is not None else [])])
    seed = cfg.run.seed
    if breakeven is None:  # the break-even of the run's policy step: contact cost / margin (policy/economics.py)
        from ..policy.economics import make_economics

        breakeven = make_economics(cfg.policy).breakeven
    if features is not None:
        raw = read_table(features, "--features")
        X = raw.select_dtypes(include="number")
        X = X.drop(columns=[c for c in X.columns if c.lower() in ("household_id", "household_key", "id")])
        if X.shape[1] == 0:
            raise SegtargetError(f"--features {features}: no numeric covariate columns")
        X = X.fillna(0.0)
    else:
        X = default_covariates()
    with atomic_output_dir(out) as tmp:
        res, sections = run_validation(X, cfg=cfg.cate, seed=seed, out=OutputDir(tmp), auc=auc,
                                       breakeven=breakeven, effect_scale=effect_scale, n_jobs=cfg.run.n_jobs)
        atomic_write_table(res.table, tmp / "validation.csv")
        write_cate_outputs({"simulated spend": res.cate}, tmp)
        from ..report.render import render_report
        from ..report.summary import ExecutiveSummary

        facts = [("Households", f"{len(X):,}"), ("Real covariates", str(X.shape[1])), ("Propensity AUC", str(auc)),
                 ("Break-even CATE", f"${breakeven:,.2f}"), ("Seed", str(seed)), ("Verdict", res.verdict)]
        render_report(sections, root=tmp, summary=ExecutiveSummary(facts=facts), title="Ground-truth validation "
                      "of the CATE models", manifest={"seed": seed, "auc": auc, "effect_scale": effect_scale})
    t = res.table.set_index("model")
    for m, r in t.sort_values("sqrt_pehe").iterrows():
        flag = " <- selected" if m == res.selected else ""
        typer.echo(f"{m:14s} sqrt(PEHE) {r['sqrt_pehe']:8.3g}  ATE bias {r['ate_bias']:8.3g}  "
                   f"Spearman {r['spearman']:6.3f}  regret {r['regret']:8.3g}{flag}")
    typer.echo(res.verdict)
    typer.echo(f"written to {out}")
