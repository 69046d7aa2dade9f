"""The one run (on the real-data subset of conftest.small_source): outputs, determinism, and caching that recomputes only what changed."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from conftest import run_fast

pytestmark = pytest.mark.slow
_NUMBER = re.compile(r"-?\d+\.\d+(?:e[-+]?\d+)?")


def _norm(df: pd.DataFrame) -> pd.DataFrame:
    """Numbers inside text cells to 9 significant digits: threaded BLAS may change the 16th digit."""
    out = df.copy()
    for c in out.select_dtypes(include=["object", "string"]).columns:
        out[c] = out[c].map(lambda v: _NUMBER.sub(lambda m: f"{float(m.group()):.9g}", v) if isinstance(v, str) else v)
    return out


def assert_same_tables(clean, other) -> None:
    """Every table and the target list of two run directories are equal (wall-clock timings aside)."""
    for csv in sorted((clean / "tables").glob("*.csv")):
        a, b = (pd.read_csv(p) for p in (csv, other / "tables" / csv.name))
        timing = [c for c in a.columns if "seconds" in c]  # wall-clock timings are the only allowed difference
        pd.testing.assert_frame_equal(_norm(a.drop(columns=timing)), _norm(b.drop(columns=timing)), obj=csv.name,
                                      check_exact=False, rtol=1e-9, atol=1e-9)
    assert (clean / "targets.csv").read_text() == (other / "targets.csv").read_text()


def test_run_writes_report_tables_and_manifest(small_run):
    root = small_run
    assert (root / "report.html").stat().st_size > 100_000
    manifest = json.loads((root / "manifest.json").read_text())
    assert {"config", "versions", "input_fingerprint", "timings_seconds"} <= set(manifest)
    assert manifest["timings_seconds"]["total"] > 0
    assert set(manifest["cpu_seconds"]) == set(manifest["timings_seconds"]) - {"total"}  # CPU per step too
    peaks = list(manifest["peak_rss_mb"].values())  # the high-water mark after each step never falls
    assert peaks == sorted(peaks) and peaks[0] > 0
    for name in ("policy.csv", "targets.csv"):
        assert (root / name).is_file()
    targets = pd.read_csv(root / "targets.csv", comment="#")
    assert list(targets.columns) == ["household_id", "segment", "cate", "lower", "upper", "propensity", "in_overlap",
                                     "in_study_population", "decision", "reason"]
    assert targets["household_id"].is_unique and targets["reason"].str.len().min() > 10
    assert len(list((root / "figures").glob("*.png"))) >= 20 and len(list((root / "tables").glob("*.csv"))) >= 30
    # the event study and the triangulation: tables, figure, and the sentence on the first screen
    assert (root / "figures" / "event_study.png").is_file()
    tri = pd.read_csv(root / "tables" / "triangulation.csv")
    assert tri["method"].tolist()[1:] == ["event_study", "naive", "difference"] and tri["leads_report"].tolist()[0]
    assert "Triangulation, purchase_amount" in (root / "report.html").read_text()
    assert "event study" in manifest["timings_seconds"]
    # Track 1 migration step: quarter pairs of the embedded year, at-risk list, the quarter-level model
    summary = pd.read_csv(root / "tables" / "migration_summary.csv")
    assert summary["from_quarter"].tolist() == ["2017Q1", "2017Q2", "2017Q3"]
    assert (root / "tables" / "at_risk.csv").is_file() and (root / "model_quarterly" / "segments.json").is_file()
    assert "migration" in manifest["timings_seconds"]
    # co-targeting: B/C exposure by arm, the sensitivity row and the bundle sentence on the first screen
    cot = pd.read_csv(root / "tables" / "cotargeting.csv")
    pooled = cot[cot.trial == "all trials"].set_index("arm")["share_bc_in_window"]
    assert pooled["treated"] > pooled["control"] + 0.05
    assert len(pd.read_csv(root / "tables" / "cotargeting_sensitivity.csv")) == 2
    assert "together with the Type B/C campaigns its members received" in (root / "report.html").read_text()


def test_same_seed_same_tables_and_cost_change_recomputes_only_policy(small_run, small_source, tmp_path):
    source = f"data.source='{small_source}'"
    root, cache = small_run, small_run.parent / "cache"
    # a fresh cache: everything recomputed from scratch must give identical tables
    again = run_fast(tmp_path / "again", tmp_path / "fresh-cache", source).parent
    assert_same_tables(root, again)
    # a changed cost reuses every cached step but the policy ones
    changed = run_fast(tmp_path / "cost", cache, source, "policy.cost=5.0").parent
    hits = json.loads((changed / "manifest.json").read_text())["cache_hits"]
    assert {"features", "segments", "design", "ate", "cate-purchase_amount", "cate-purchase_count",
            "pre-segments", "event-study", "policy-scores", "migration", "co-targeting", "design-gate"} <= set(hits)
    assert not pd.read_csv(changed / "policy.csv").equals(pd.read_csv(root / "policy.csv"))


def test_a_changed_segments_key_recomputes_exactly_the_steps_that_use_the_segments(small_run, small_source, tmp_path):
    """On the warm cache of ``small_run``: the segments, the migration step, the pre-period segments and the event
    study (its strata come from the pre-period segments) recompute; every other cached step is reused."""
    changed = run_fast(tmp_path / "seg", small_run.parent / "cache", f"data.source='{small_source}'",
                       "segments.kmeans_n_init=5").parent
    hits = json.loads((changed / "manifest.json").read_text())["cache_hits"]
    assert sorted(hits) == sorted(["design", "features", "ate", "design-refutations", "design-gate", "co-targeting",
                                   "cate-purchase_amount", "cate-purchase_count", "policy-scores", "policy-cate"])


def test_run_keeps_every_stage_in_memory_and_write_gives_the_same_files(small_run, small_source, tmp_path):
    from conftest import FAST_RUN
    from segtarget.config import load_config
    from segtarget.pipeline import run

    never = tmp_path / "never"
    cfg = load_config(None, FAST_RUN + [f"run.cache_dir='{small_run.parent / 'cache'}'",
                                        f"data.source='{small_source}'", f"run.out='{never}'"])
    res = run(cfg)
    assert not never.exists()  # computing writes no output directory
    tables = res.tables()
    # (the report shows segment profiles to 4 digits)
    for name, csv, atol in [("key_results", "key_results.csv", 0), ("ate", "campaign_cohort_ate.csv", 0),
                            ("policies", "policy_comparison.csv", 0), ("segments", "segments_profiles.csv", 5e-5)]:
        on_disk = pd.read_csv(small_run / "tables" / csv)
        mine = tables[name].reset_index(drop=True)
        assert list(mine.columns) == list(on_disk.columns), name
        num = [c for c in on_disk.columns if pd.api.types.is_float_dtype(on_disk[c])]
        pd.testing.assert_frame_equal(mine[num].astype(float), on_disk[num], obj=name, check_exact=False, rtol=1e-9,
                                      atol=atol)
    assert res.cate["purchase_amount"].selected and res.policy.verdict.sentence
    # the report is built from the results alone: the same files as the one-step run
    written = res.write(tmp_path / "written").parent
    files = lambda root: sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())  # noqa: E731
    assert files(written) == files(small_run)


@pytest.mark.parametrize("overrides, enabled", [([], False), (["run.cache_dir='/tmp/mine'"], True),
                                                (["run.use_cache=true"], True),
                                                (["run.use_cache=false", "run.cache_dir='/tmp/mine'"], False)])
def test_the_python_api_opens_the_step_cache_only_when_asked(monkeypatch, overrides, enabled):
    import segtarget.pipeline as pipeline
    from segtarget.config import load_config

    seen = {}

    class Stop(Exception):
        pass

    def fake_cache(cache_dir=None, enabled=True, **kw):
        seen.update(cache_dir=cache_dir, enabled=enabled)
        raise Stop  # before any data is loaded

    monkeypatch.setattr(pipeline, "StageCache", fake_cache)
    with pytest.raises(Stop):
        pipeline.run(load_config(None, overrides))
    assert seen["enabled"] is enabled
