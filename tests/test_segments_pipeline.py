import dataclasses

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from segtarget.config import load_config
from segtarget.errors import SegtargetError
from segtarget.io import OutputDir
from segtarget.report.section import Figure, Table
from segtarget.segments.config import SegmentConfig
from segtarget.segments.model import SegmentModel
from segtarget.segments.pipeline import run_segments
from segtarget.segments.synthetic import planted_households

CFG = SegmentConfig(nmf_k_min=2, nmf_k_max=4, stability_nmf_k_max=3, kmeans_k_min=2, kmeans_k_max=5, n_bootstrap=3,
                    n_bootstrap_select=3, nmf_cv_folds=2, kmeans_n_init=2, names=("0=First Segment",))


@pytest.fixture(scope="module")
def planted():
    return planted_households(210, 3, seed=4)


@pytest.fixture(scope="module")
def run(planted, tmp_path_factory):
    df, _ = planted
    out = OutputDir(tmp_path_factory.mktemp("seg"))
    steps = []
    result, sections = run_segments(df, CFG, seed=7, out=out, n_jobs=1, progress=lambda s, f: steps.append(s))
    return result, sections, out, steps


def test_recovers_planted_segments_with_automatic_ranks(planted, run):
    _, truth = planted
    result, *_ = run
    assert result.headline["kmeans_k"] == 3 and result.headline["stability_goal_met_in_selection"]
    assert "stable" in result.headline["kmeans_k_reason"]
    labels = result.labels.sort_values("household_id")["segment"].to_numpy()
    assert adjusted_rand_score(truth, labels) > 0.9
    assert result.headline["ari_mean"] > 0.9


def test_outputs_written_and_referenced(run):
    result, sections, out, steps = run
    assert [s.key for s in sections] == ["segments", "segments_choice"]
    for block in (b for s in sections for b in s.blocks):
        if isinstance(block, Figure):
            assert (out.root / block.path).is_file()
        if isinstance(block, Table):
            assert (out.root / block.csv).is_file()
    names = {b.name for s in sections for b in s.blocks if isinstance(b, (Table, Figure))}
    assert {"segments_nmf_scan", "segments_kmeans_scan", "segments_stability_jaccard", "segments_strategies",
            "segments_stability_by_k",
            "segments_bubbles", "segments_profile_heatmap"} <= names
    assert (out.root / "tables" / "segments_labels.csv").is_file()
    assert any("bootstrap" in s for s in steps) and any("scan" in s for s in steps)
    assert set(sections[0].headline["segments"].columns) >= {"segment", "name", "share", "revenue_share", "strategy"}


def test_result_contract(run, planted):
    result, _, out, _ = run
    df, _ = planted
    h = result.headline
    assert {"n_segments", "nmf_k", "nmf_k_reason", "kmeans_k", "kmeans_k_reason", "ari_mean", "segments"} <= set(h)
    assert result.names.loc[result.names["segment"] == 0, "name"].item() == "First Segment"
    assert len(result.summary_frame()) == h["n_segments"] and "jaccard_mean" in result.summary_frame()
    loaded = SegmentModel.load(out.root / "model")
    assert loaded.assign(df).equals(result.model.assign(df))


def test_same_seed_same_numbers(planted, run, tmp_path):
    df, _ = planted
    first = run[0]
    cfg = dataclasses.replace(CFG, n_bootstrap=2, figures=False)
    again, _ = run_segments(df.sample(frac=1.0, random_state=3), cfg, seed=7, out=OutputDir(tmp_path), n_jobs=1)
    assert again.labels.equals(first.labels)
    assert again.nmf_scan.equals(first.nmf_scan) and again.kmeans_scan.equals(first.kmeans_scan)
    np.testing.assert_array_equal(again.stability.ari, first.stability.ari[:2])
    assert not (tmp_path / "figures").exists()


def test_config_errors_are_one_line(planted, tmp_path):
    df, _ = planted
    with pytest.raises(SegtargetError, match="nmf_k_max"):
        run_segments(df, SegmentConfig(nmf_k_max=40), seed=0, out=OutputDir(tmp_path))
    with pytest.raises(SegtargetError, match="kmeans_rule"):
        run_segments(df, SegmentConfig(kmeans_rule="dbi"), seed=0, out=OutputDir(tmp_path))
    with pytest.raises(SegtargetError, match="segments.transform"):
        run_segments(df, dataclasses.replace(CFG, transform="boxcox"), seed=0, out=OutputDir(tmp_path))
    with pytest.raises(SegtargetError, match="monetary_sales"):
        run_segments(df.drop(columns="monetary_sales"), CFG, seed=0, out=OutputDir(tmp_path))


def test_toml_config_reaches_segment_config(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[segments]\nnames = ["0=VIP", "Light Fresh=Fresh Lovers"]\nkmeans_rule = "dbi"\nnmf_k = 5\n')
    cfg = load_config(path, ["segments.kmeans_k=7"]).segments
    assert cfg.names == ("0=VIP", "Light Fresh=Fresh Lovers") and cfg.kmeans_rule == "dbi"
    assert (cfg.nmf_k, cfg.kmeans_k) == (5, 7)
