"""``segtarget validate`` on a small covariate file: outputs, verdict and one-line errors."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from segtarget.cli import app


def _features(path, n=400):
    rng = np.random.default_rng(0)
    size = rng.lognormal(0, 1, n)
    pd.DataFrame({"household_id": np.arange(n), "monetary_sales": size * 900, "frequency": size * 30 + 1,
                  "discount_rate": rng.beta(2, 9, n), "share_fresh": rng.beta(2, 6, n)}).to_csv(path, index=False)


def test_validate_writes_truth_table(tmp_path):
    _features(tmp_path / "f.csv")
    out = tmp_path / "val"
    r = CliRunner().invoke(app, ["validate", "--features", str(tmp_path / "f.csv"), "--out", str(out), "--seed", "1",
                                 "--auc", "0.9", "--set", "cate.models=['s','t','linear_dml']",
                                 "--set", "cate.n_boot=30", "--set", "run.n_jobs=1"])
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out / "validation.csv")
    assert {"sqrt_pehe", "ate_bias", "spearman", "regret", "selected", "should_have_picked"} <= set(table.columns)
    assert table["selected"].sum() == 1 and table["should_have_picked"].sum() == 1
    assert (table["regret"] >= -1e-9).all()
    for f in ("cate.csv", "cate_models.csv", "refutation.csv", "report.html", "figures/validation_truth.png"):
        assert (out / f).is_file(), f
    assert "selected" in r.output and "written to" in r.output


def test_validate_bad_inputs(tmp_path):
    r = CliRunner().invoke(app, ["validate", "--features", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")])
    assert r.exit_code != 0 and "--features" in str(r.exception or r.output)
    _features(tmp_path / "f.csv")
    r = CliRunner().invoke(app, ["validate", "--features", str(tmp_path / "f.csv"), "--auc", "1.5",
                                 "--out", str(tmp_path / "o")])
    assert r.exit_code != 0 and "--auc" in str(r.exception or r.output)
    assert not (tmp_path / "o").exists()


def test_validate_breakeven_is_the_configs_cost_over_margin(tmp_path, monkeypatch):
    """No hard-coded break-even: without --breakeven it is policy.cost / policy.margin, as in the run's policy."""
    import segtarget.causal.validation.scoring as scoring

    got = []

    class Stop(Exception):
        pass

    def fake(X, **kw):
        got.append(kw["breakeven"])
        raise Stop

    monkeypatch.setattr(scoring, "run_validation", fake)
    _features(tmp_path / "f.csv")
    base = ["validate", "--features", str(tmp_path / "f.csv"), "--out", str(tmp_path / "o")]
    for extra in ([], ["--set", "policy.cost=3", "--set", "policy.margin=0.5"], ["--breakeven", "7.5"]):
        assert isinstance(CliRunner().invoke(app, base + extra).exception, Stop)
    assert got == [pytest.approx(1.0 / 0.30), pytest.approx(6.0), 7.5]
