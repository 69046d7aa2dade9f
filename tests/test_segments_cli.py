import sys

import pandas as pd
import pytest

from segtarget.cli import main
from segtarget.segments.model import SegmentModel
from segtarget.segments.synthetic import planted_households

SMALL = ["--set", "segments.nmf_k_max=4", "--set", "segments.kmeans_k_min=2", "--set", "segments.kmeans_k_max=4",
         "--set", "segments.n_bootstrap_select=3", "--set", "segments.stability_nmf_k_max=3", "--set", "segments.n_bootstrap=2",
         "--set", "segments.figures=false", "--set", "segments.kmeans_n_init=2", "--set", "run.n_jobs=1"]


def _cli(monkeypatch, *args) -> int:
    monkeypatch.setattr(sys, "argv", ["segtarget", *args])
    try:
        main()
    except SystemExit as exc:
        return exc.code
    return 0


@pytest.fixture(scope="module")
def feature_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    df, _ = planted_households(150, 3, seed=5)
    df.to_parquet(root / "features.parquet")
    df.sample(20, random_state=0).to_csv(root / "new.csv", index=False)
    return root


def test_segment_then_assign(monkeypatch, feature_files, capsys):
    out = feature_files / "run"
    assert _cli(monkeypatch, "segment", "--features", str(feature_files / "features.parquet"), "--out", str(out),
                *SMALL) == 0
    assert (out / "report.html").is_file() and (out / "segments.csv").is_file() and (out / "model").is_dir()
    labelled = feature_files / "labels.csv"
    assert _cli(monkeypatch, "assign", "--model", str(out / "model"), "--features", str(feature_files / "new.csv"),
                "--out", str(labelled)) == 0
    got = pd.read_csv(labelled)
    new = pd.read_csv(feature_files / "new.csv")
    expected = SegmentModel.load(out / "model").assign(new)
    assert got["household_id"].tolist() == new["household_id"].tolist()
    assert got["segment_name"].tolist() == expected["segment_name"].tolist()


def test_user_errors_are_one_line(monkeypatch, feature_files, capsys):
    code = _cli(monkeypatch, "segment", "--out", str(feature_files / "x"))
    assert code == 2 and "exactly one of --data" in capsys.readouterr().err
    code = _cli(monkeypatch, "assign", "--model", str(feature_files), "--features", str(feature_files / "new.csv"),
                "--out", str(feature_files / "o.csv"))
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: model directory") and err.count("\n") == 1
