"""The documentation runs: every docs/examples script and the code blocks of docs/api.md."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"

# Facts each script must print (the numbers are fixed by the embedded data and the seeds).
EXPECTED = {
    "01_segments.py": ["features: 2469 households", "segment 0:", "segment 4:", "assigned 1852 new households",
                       "with 6 segments"],
    "02_effects.py": ["design campaign-trials: 4015 units, 39 covariates", "naive", "aipw", "ato",
                      "AIPW ATE on campaign-window sales:", "n = 1342"],
    "03_policy.py": ["linear_dml: mean CATE", "t: mean CATE", "CATE > breakeven", "everyone", "no one",
                     "90% bounds:"],
}


def test_every_example_is_checked():
    assert sorted(p.name for p in (DOCS / "examples").glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_runs_and_prints_its_facts(script, tmp_path):
    # Run from an empty directory: a script that wrote a file would leave it here.
    out = subprocess.run([sys.executable, str(DOCS / "examples" / script)], capture_output=True, text=True,
                         timeout=180, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    for fact in EXPECTED[script]:
        assert fact in out.stdout, f"{script}: {fact!r} not printed"
    assert not list(tmp_path.iterdir()), f"{script} wrote files"


@pytest.mark.slow  # about a minute on 2 cores: every stage of the run, on a quarter of the households
def test_api_tour_goes_from_data_to_verdict_and_writes_no_file(capsys, tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / "api.md").read_text(), re.S)
    assert len(blocks) == 7  # load, features, segments, design, effects, CATE, policy and verdict
    cwd, home = tmp_path / "cwd", tmp_path / "xdg"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # a notebook's working directory: nothing may appear in it
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))  # nor in the per-user step cache
    namespace: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"docs/api.md block {i + 1}", "exec"), namespace)
    printed = capsys.readouterr().out
    assert namespace["features"].shape == (493, 37)
    assert namespace["model"].effect(namespace["X"].head(3)).shape == (3,)
    assert {"naive", "aipw", "ato"} <= {estimate.method for estimate in namespace["family"]}
    assert namespace["policy"].verdict.sentence in printed
    assert "p_value" in printed and "CATE rule" in printed and "random_state" in printed
    assert not list(cwd.iterdir()) and not (home / "segtarget").exists(), "the API tour wrote files"
