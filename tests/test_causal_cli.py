"""``segtarget causal`` via subprocess: outputs on a small table, one-line errors and no partial output."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BIN = Path(sys.executable).parent / "segtarget"
FAST = ["--set", "ate.dml=false", "--set", "ate.crossfit_repeats=1", "--set", "ate.folds=3",
        # the CATE and policy steps run by default; small budgets (tests/test_table_analysis.py checks them)
        "--set", 'cate.models=["t","linear_dml"]', "--set", "cate.n_placebo=2", "--set", "cate.n_random_cause=2",
        "--set", "cate.n_subset=2", "--set", "cate.n_dummy=2", "--set", "cate.n_boot=50", "--set", "cate.ranking_splits=2"]


def _table(n=240, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    t = rng.binomial(1, 1 / (1 + np.exp(-0.5 * x1)))
    return pd.DataFrame({"hh": np.arange(n), "x1": x1, "x2": x2, "flag": rng.integers(0, 2, n).astype(bool),
                         "treat": t, "sales": 10 + 2 * x1 + x2 + 1.5 * t + rng.normal(size=n),
                         "visits": rng.poisson(3 + t, n).astype(float)})


def _run(tmp_path, df, *args):
    path = tmp_path / "in.csv"
    df.to_csv(path, index=False)
    out = tmp_path / "out"
    proc = subprocess.run([str(BIN), "causal", "--input", str(path), "--out", str(out), *args],
                          capture_output=True, text=True, timeout=300)
    return proc, out


def test_causal_writes_outputs(tmp_path):
    proc, out = _run(tmp_path, _table(), "--treatment", "treat", "--outcome", "sales", "--outcome", "visits",
                     "--id", "hh", *FAST)
    assert proc.returncode == 0, proc.stderr
    ate = pd.read_csv(out / "ate.csv")
    assert list(ate.columns) == ["outcome", "method", "estimand", "estimate", "std_error", "ci_lower", "ci_upper",
                                 "n", "trim", "default"]
    assert ate.groupby("outcome")["default"].sum().to_dict() == {"sales": 1, "visits": 1}
    head = ate[(ate["outcome"] == "sales") & ate["default"]].iloc[0]
    assert head["method"] == "aipw" and head["ci_lower"] < 1.5 < head["ci_upper"]
    bal = pd.read_csv(out / "balance.csv")
    assert set(bal["covariate"]) == {"x1", "x2", "flag"}  # default covariates: other numeric/bool columns
    for name in ("positivity.csv", "sensitivity.csv", "report.html", "figures/love_plot.png",
                 "figures/ps_overlap.png", "figures/ate_forest_sales.png", "figures/ate_trimming_visits.png"):
        assert (out / name).is_file(), name
    html = (out / "report.html").read_text()
    assert "data:image/png;base64," in html and "Verdict" in html


def _bad_nan(df):
    df.loc[5, "x2"] = np.nan
    return df


def _bad_inf(df):
    df.loc[7, "sales"] = np.inf
    return df


@pytest.mark.parametrize("mutate,args,needle", [
    (lambda d: d, ["--treatment", "treatment", "--outcome", "sales"], "'treatment' not found"),
    (lambda d: d.assign(treat=d["treat"] * 2 + 1), ["--treatment", "treat", "--outcome", "sales"], "binary"),
    (_bad_nan, ["--treatment", "treat", "--outcome", "sales"], "'x2' has 1 missing or infinite"),
])
def test_causal_bad_input_one_line_error(tmp_path, mutate, args, needle):
    proc, out = _run(tmp_path, mutate(_table()), *args, *FAST)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists() and not list(tmp_path.glob(".out.tmp-*"))


@pytest.mark.parametrize("mutate,kwargs,needle", [
    (lambda d: d, {"outcomes": ["sale"]}, "did you mean 'sales'"),
    (lambda d: d.assign(treat=1), {}, "0 control units"),
    (lambda d: d.assign(sales=3.0), {}, "'sales' is constant"),
    (_bad_inf, {}, "'sales' has 1 missing or infinite"),
    (lambda d: d, {"covariates": ["x1", "zz"]}, "'zz' not found"),
    (lambda d: d.assign(hh=0), {"id_col": "hh"}, "duplicated"),
    (lambda d: d.assign(x1="a"), {"covariates": ["x1"]}, "not numeric"),
])
def test_check_table_errors_are_one_line(mutate, kwargs, needle):
    from segtarget.causal.ate.inputs import check_table
    from segtarget.errors import SegtargetError

    args = {"treatment": "treat", "outcomes": ["sales"], "covariates": None, "id_col": None, "n_folds": 3} | kwargs
    with pytest.raises(SegtargetError, match=needle) as info:
        check_table(mutate(_table()), **args)
    assert "\n" not in str(info.value)
