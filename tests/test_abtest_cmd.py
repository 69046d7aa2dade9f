"""The ``segtarget abtest`` command, run as a user would: a subprocess, exit codes and stderr."""

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest


def _run(*args, cwd):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("SEGTARGET_DEBUG", None)
    code = "import sys; from segtarget.cli import main; sys.argv = ['segtarget'] + sys.argv[1:]; main()"
    return subprocess.run([sys.executable, "-c", code, "abtest", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    d = tmp_path_factory.mktemp("abtest")
    rng = np.random.default_rng(0)
    n = 300
    pre = rng.gamma(2, 50, n)
    t = rng.binomial(1, 0.5, n)
    df = pd.DataFrame({"hh": np.arange(n), "treat": t, "sales": 1.2 * pre + 25 * t + rng.normal(0, 40, n),
                       "pre": pre, "seg": rng.choice(["A", "B"], n)})
    df.to_csv(d / "exp.csv", index=False)
    df.assign(treat=np.where(t == 1, "yes", "no")).to_csv(d / "bad.csv", index=False)
    return d


def test_readout_writes_estimates_segments_and_profit(experiment):
    out = experiment / "readout"
    r = _run("--input", "exp.csv", "--treatment", "treat", "--outcome", "sales", "--pre", "pre",
             "--segment", "seg", "--cost", "3", "--margin", "0.3", "--out", str(out), cwd=experiment)
    assert r.returncode == 0, r.stderr
    est = pd.read_csv(out / "estimates.csv").set_index("method")
    assert {"difference_in_means", "cuped"} == set(est.index)
    assert est.loc["cuped", "se"] < est.loc["difference_in_means", "se"]
    assert est.loc["cuped", "ci_lower"] < 25 < est.loc["cuped", "ci_upper"]
    assert len(pd.read_csv(out / "segments.csv")) == 4
    profit = pd.read_csv(out / "profit.csv")
    assert len(profit) > 0 and (profit["cost"] == 3).all()


@pytest.mark.parametrize("args, needle", [
    (["--input", "exp.csv", "--treatment", "nope", "--outcome", "sales"], "column 'nope'"),
    (["--input", "bad.csv", "--treatment", "treat", "--outcome", "sales"], "binary 0/1"),
])
def test_user_errors_are_one_line_without_traceback(experiment, args, needle):
    r = _run(*args, "--out", str(experiment / "never"), cwd=experiment)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0]
    assert "Traceback" not in r.stderr and not (experiment / "never").exists()
