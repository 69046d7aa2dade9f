"""``segtarget causal`` end to end on a small table: CATE and policy outputs next to the ATE ones; the policy step
runs by default with the run's policy config (--cost / --margin = policy.cost / policy.margin)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

SEGTARGET = str(Path(sys.executable).parent / "segtarget")
FAST = ["--set", 'cate.models=["t","linear_dml"]', "--set", "cate.n_placebo=3", "--set", "cate.n_random_cause=2",
        "--set", "cate.n_subset=2", "--set", "cate.n_dummy=2", "--set", "cate.n_boot=50", "--set", "ate.dml=false",
        "--set", "ate.crossfit_repeats=1", "--set", "cate.ranking_splits=2"]


def test_causal_writes_cate_and_policy(tmp_path):
    rng = np.random.default_rng(1)
    n = 600
    X = rng.normal(size=(n, 3))
    T = rng.binomial(1, 1 / (1 + np.exp(-X[:, 0])))
    tau = 2.0 + 2.0 * (X[:, 1] > 0)
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(t=T, y=X[:, 0] + tau * T + rng.normal(size=n),
                                                        hid=np.arange(n) + 7, household=np.arange(n) // 2)
    df.to_csv(tmp_path / "in.csv", index=False)
    out = tmp_path / "out"
    r = subprocess.run([SEGTARGET, "causal", "--input", str(tmp_path / "in.csv"), "--treatment", "t", "--outcome", "y",
                        "--id", "hid", "--cluster", "household", "--out", str(out), "--margin", "1", *FAST],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # no --cost: the policy step still runs, at the run's assumed $1.00 (labelled as an assumption)
    keys = pd.read_csv(out / "tables" / "key_results.csv")
    assert keys["assumption"].iloc[0].startswith("Contact cost $1.00 per household, an assumed default")
    # a unit table has no design gate: the verdict asks for a test, never a contact, and says why
    assert (keys["verdict"] == "inconclusive: run this test").all() and (keys["gate_status"] == "not testable").all()
    assert "a unit table carries no history" in keys["verdict_sentence"].iloc[0]
    assert f"verdict: {keys['verdict_sentence'].iloc[0]}" in r.stdout
    # the cluster column is neither a covariate nor split across folds
    assert set(pd.read_csv(out / "balance.csv")["covariate"]) <= {"a", "b", "c"}
    cate = pd.read_csv(out / "cate.csv")
    assert list(cate.columns[:6]) == ["outcome", "id", "cate", "cate_lower", "cate_upper", "model"]
    assert {"cate_t", "cate_linear_dml"} <= set(cate.columns) and cate["id"].iloc[0] == 7 and len(cate) == n
    # the out-of-fold CATE separates the two true effect levels
    hi, lo = cate.loc[df.b > 0, "cate"].mean(), cate.loc[df.b <= 0, "cate"].mean()
    assert hi - lo > 1.0
    assert {"model", "outcome"} <= set(pd.read_csv(out / "cate_models.csv").columns)
    assert len(pd.read_csv(out / "refutation.csv")) >= 4
    pol = pd.read_csv(out / "policy.csv")
    assert list(pol.columns[:9]) == ["policy", "n_targeted", "share", "incremental_revenue", "profit", "roi",
                                     "ci_lower", "ci_upper", "method"]
    assert set(pol["method"]) == {"dr", "plugin"}
    html = (out / "report.html").read_text()
    assert "Executive summary" in html and "data:image/png;base64" in html
    # the verdict's ranking test: 2 household splits (FAST), judged on the policy's valued units
    assert keys["ranking_test"].str.contains("median of 2 household-split p-values ×2").all()
    assert "propensity in [0.1, 0.9]" in keys["ranking_test"].iloc[0]
    assert len(pd.read_csv(out / "tables" / "cate_ranking_y.csv")) == 2


@pytest.mark.parametrize("flags, cost, margin", [([], 1.0, 0.30), (["--cost", "2.5"], 2.5, 0.30),
                                                 (["--set", "policy.cost=4", "--margin", "0.2"], 4.0, 0.2)])
def test_causal_cost_and_margin_are_the_runs_policy_keys(monkeypatch, tmp_path, flags, cost, margin):
    """--cost / --margin set policy.cost / policy.margin with the run's defaults (an assumed $1.00, 0.30)."""
    import segtarget.table_analysis as table_analysis
    from segtarget.cli import app
    from typer.testing import CliRunner

    got = {}

    class Stop(Exception):
        pass

    def fake(df, ate_res, **kw):
        got.update(kw)
        raise Stop

    monkeypatch.setattr(table_analysis, "cate_and_policy", fake)
    csv = tmp_path / "units.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame({"t": [0, 1] * 30, "y": rng.normal(size=60), "x": rng.normal(size=60)}).to_csv(csv, index=False)
    args = ["causal", "--input", str(csv), "--treatment", "t", "--outcome", "y", "--out", str(tmp_path / "o"),
            "--set", "ate.dml=false", "--set", "ate.crossfit_repeats=1", "--set", "ate.folds=2", *flags]
    assert isinstance(CliRunner().invoke(app, args).exception, Stop)
    assert got["cfg"].policy.contact_cost == cost and got["cfg"].policy.margin == margin


@pytest.mark.parametrize("flags, needle", [(["--cost", "abc"], "--cost 'abc': not a number"),
                                           (["--margin", "2"], "--margin 2: out of range"),
                                           (["--no-cate", "--cost", "1"], "drop --no-cate"),
                                           (["--cluster", "nope"], "--cluster column 'nope' not found")])
def test_causal_bad_policy_flags_are_one_line_errors(tmp_path, flags, needle):
    csv = tmp_path / "units.csv"
    pd.DataFrame({"t": [0, 1] * 30, "y": np.arange(60.0), "x": np.arange(60.0) % 7}).to_csv(csv, index=False)
    r = subprocess.run([SEGTARGET, "causal", "--input", str(csv), "--treatment", "t", "--outcome", "y",
                        "--out", str(tmp_path / "o"), *flags], capture_output=True, text=True)
    assert r.returncode == 2 and needle in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "o").exists()
