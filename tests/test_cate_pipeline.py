"""run_cate end to end on a small simulation: outputs, contract with the lead's pipeline, input errors."""

import numpy as np
import pandas as pd
import pytest

from segtarget.causal.cate.config import CateConfig
from segtarget.causal.cate.pipeline import cate_frame, run_cate, write_cate_outputs
from segtarget.errors import SegtargetError
from segtarget.io import OutputDir


def _data(n=500, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=["spend", "visits", "deal", "noise"])
    T = rng.binomial(1, 1 / (1 + np.exp(-X["spend"].to_numpy())))
    tau = 2.0 * (X["deal"] > 0)
    Y = 3 * X["spend"] + T * tau + rng.normal(size=n)
    return Y.to_numpy(), T, X


CFG = CateConfig(models=("s", "t", "linear_dml"), n_estimators=100, n_boot=50, ensemble=True, ranking_splits=3)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("cate")
    Y, T, X = _data(400)
    steps = []
    res, sections = run_cate(Y, T, X, nuisances=None, cfg=CFG, seed=3, out=OutputDir(root), outcome="spend amount",
                             breakeven=1.0, n_jobs=1, progress=lambda s, f: steps.append((s, f)))
    return res, sections, root, steps, X


def test_result_contract(run):
    res, sections, root, steps, X = run
    assert {"cate_s", "cate_t", "cate_linear_dml", "cate_ensemble", "cate", "cate_lower", "cate_upper",
            "model"} <= set(res.oof.columns)
    assert len(res.oof) == len(X) and (res.oof["model"] == res.selected).all()
    assert res.selected in res.evaluation["model"].tolist()
    assert res.evaluation["selected"].sum() == 1
    cate = res.final_model.predict(X.head(7))
    lo, hi = res.final_model.effect_interval(X.head(7))
    assert cate.shape == lo.shape == hi.shape == (7,)
    assert res.refutation["test"].tolist()[0].startswith("placebo")
    assert res.headline["refutations_passed"].endswith("/5")
    assert steps[0] == ("nuisances", 0.0) and steps[-1] == ("done", 1.0)
    assert isinstance(res.warnings, list) and all(isinstance(w, str) and w for w in res.warnings)
    # the ranking test: CFG.ranking_splits household splits, combined as 2 x median of the one-sided p-values
    rt = res.ranking
    assert rt.n_splits == CFG.ranking_splits and rt.population == "all units"
    assert rt.p_value == pytest.approx(min(1.0, 2 * np.median(rt.splits["p_value"])))
    assert rt.p_value < 0.05 and rt.lower > 0  # a strong deal-driven effect is ranked
    assert res.headline["autoc_split_p"] == rt.p_value and res.headline["ranking_splits"] == CFG.ranking_splits
    # the deal-driven effect is found by the selected model's CATE tree
    assert "deal" in res.rules["rule"].iloc[0]


def test_files_and_sections(run, tmp_path):
    res, sections, root, _, X = run
    for name in ("cate_models_spend_amount", "cate_refutation_spend_amount", "cate_gates_spend_amount",
                 "cate_ranking_spend_amount",
                 "cate_rules_spend_amount", "cate_importance_spend_amount"):
        assert (root / "tables" / f"{name}.csv").is_file()
    for name in ("distribution", "correlation", "uplift", "gates", "refutation", "importance"):
        assert (root / "figures" / f"cate_{name}_spend_amount.png").is_file()
    assert [s.key for s in sections] == ["cate_spend_amount", "cate_refutation_spend_amount",
                                         "cate_interpret_spend_amount"]
    paths = write_cate_outputs({"spend amount": res}, tmp_path, ids=np.arange(len(X)) + 100)
    cate = pd.read_csv(paths[0])
    assert list(cate.columns[:6]) == ["outcome", "id", "cate", "cate_lower", "cate_upper", "model"]
    assert cate["id"].iloc[0] == 100
    models = pd.read_csv(paths[1])
    assert len(models) == 4 and models["outcome"].eq("spend amount").all()  # s, t, linear_dml, ensemble
    assert len(pd.read_csv(paths[2])) == 5
    assert cate_frame({"a": res}).shape[0] == len(X)


def test_same_seed_same_numbers_serial_or_parallel(tmp_path):
    Y, T, X = _data(200)
    cfg = CateConfig(models=("s", "t"), n_estimators=50, n_boot=20, n_placebo=3, n_random_cause=2, n_subset=2,
                     n_dummy=1, folds=3, ranking_splits=2)
    a, _ = run_cate(Y, T, X, nuisances=None, cfg=cfg, seed=3, out=OutputDir(tmp_path / "a"), outcome="y", n_jobs=1)
    b, _ = run_cate(Y, T, X, nuisances=None, cfg=cfg, seed=3, out=OutputDir(tmp_path / "b"), outcome="y", n_jobs=2)
    pd.testing.assert_frame_equal(a.evaluation.drop(columns="fit_seconds"), b.evaluation.drop(columns="fit_seconds"))
    pd.testing.assert_frame_equal(a.refutation, b.refutation)
    pd.testing.assert_frame_equal(a.oof, b.oof)
    pd.testing.assert_frame_equal(a.ranking.splits, b.ranking.splits)


@pytest.mark.parametrize("mutate, match", [
    (lambda Y, T, X: (Y, T + 1, X), "must be 0/1"),
    (lambda Y, T, X: (Y, T, X.assign(noise=np.where(np.arange(len(X)) == 3, np.nan, X["noise"]))), "'noise'"),
    (lambda Y, T, X: (Y, T, X.assign(city="x")), "'city': not numeric"),
    (lambda Y, T, X: (Y[:-1], T, X), "one row per household"),
])
def test_bad_inputs(tmp_path, mutate, match):
    Y, T, X = mutate(*_data(100))
    with pytest.raises(SegtargetError, match=match):
        run_cate(Y, T, X, nuisances=None, cfg=CFG, seed=0, out=OutputDir(tmp_path), outcome="y")


def test_bad_model_name(tmp_path):
    Y, T, X = _data(100)
    with pytest.raises(SegtargetError, match="cate.models"):
        run_cate(Y, T, X, nuisances=None, cfg=CateConfig(models=("t", "grf")), seed=0, out=OutputDir(tmp_path),
                 outcome="y")
