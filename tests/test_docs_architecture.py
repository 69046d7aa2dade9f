"""The worked examples of docs/architecture.md ("Extension points") run as written, from outside the package."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fixtures_retail import canonical_frames, write_canonical
from segtarget.causal.cate.config import CateConfig
from segtarget.causal.cate.registry import unregister_learner
from segtarget.causal.cate.zoo import default_params, oof_cate_many
from segtarget.causal.nuisance import make_folds
from segtarget.config import DataConfig
from segtarget.data import load_source
from segtarget.data.registry import unregister_source

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"


def run_example(title: str) -> dict:
    """Execute the code block under ``<!-- example: title -->`` as its own module (not importable by name, so
    parallel workers receive its functions by value, as they would a user's script)."""
    found = re.findall(rf"<!-- example: {re.escape(title)} -->\n```python\n(.*?)```", DOC.read_text(), re.S)
    assert len(found) == 1, f"docs/architecture.md: one '{title}' example expected"
    namespace = {"__name__": f"architecture_example_{title.replace(' ', '_')}"}
    exec(compile(found[0], f"docs/architecture.md ({title})", "exec"), namespace)
    return namespace


@pytest.fixture
def pos_source():
    run_example("data source")
    yield "pos"
    unregister_source("pos")


@pytest.fixture
def ridge_learner():
    run_example("CATE learner")
    yield "ridge_t"
    unregister_learner("ridge_t")


def test_data_source_example_loads_like_the_canonical_layout(pos_source, tmp_path):
    f = canonical_frames()
    tx, products = f["transactions"], f["products"]
    pos = tmp_path / "pos"
    pos.mkdir()
    receipts = tx.rename(columns={"household_id": "customer", "basket_id": "receipt", "product_id": "sku",
                                  "store_id": "store", "quantity": "qty", "sales_value": "amount",
                                  "retail_disc": "discount"})
    hhmm = receipts.pop("time_of_day")
    receipts["sold_at"] = (receipts.pop("date") + pd.to_timedelta(hhmm // 100, unit="h")
                           + pd.to_timedelta(hhmm % 100, unit="min"))
    receipts.drop(columns=["coupon_disc", "coupon_match_disc"]).to_csv(pos / "receipts.csv", index=False)
    products.rename(columns={"product_id": "sku"}).to_csv(pos / "items.csv", index=False)
    canonical = write_canonical(tmp_path / "canonical")
    query = ("SELECT household_id, basket_id, product_id, date, week, time_of_day, quantity, sales_value, "
             "retail_disc FROM transactions ORDER BY ALL")
    got = load_source(f"{pos_source}:{pos}")
    want = load_source(f"tables:{canonical}")
    assert got.con.execute(query).fetchall() == want.con.execute(query).fetchall()
    assert got.overview().equals(want.overview())
    assert got.files["transactions"] == pos / "receipts.csv"
    assert DataConfig(source=f"pos:{pos}").source.startswith("pos:")


def _units(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    T = rng.binomial(1, 0.5, n)
    tau = 1 + 2 * X[:, 1]
    return X[:, 0] + T * tau + rng.normal(0, 0.5, n), T, X, tau


def test_cate_learner_example_runs_through_the_zoo_in_parallel_workers(ridge_learner):
    cfg = CateConfig(models=("t", ridge_learner), n_estimators=30)
    Y, T, X, tau = _units()
    specs = {m: default_params(m, cfg) for m in cfg.models}
    folds = make_folds(T, 3, 0)
    oof = oof_cate_many(specs, Y, T, X, folds, seed=1, n_jobs=2)  # workers know only the built-ins
    ridge = oof[ridge_learner]
    assert np.corrcoef(ridge.cate, tau)[0, 1] > 0.95  # the linear effect is what a ridge T-learner recovers
    assert np.isnan(ridge.lower).all()  # intervals=False: NaN bounds
    serial = oof_cate_many(specs, Y, T, X, folds, seed=1, n_jobs=1)
    np.testing.assert_array_equal(serial[ridge_learner].cate, ridge.cate)


def test_cate_learner_example_is_tuned_over_its_search_space(ridge_learner):
    from segtarget.causal.cate.tuning import held_out_loss, tune_model
    from segtarget.causal.cate.zoo import model_seed

    Y, T, X, _ = _units(300)
    folds = make_folds(T, 3, 0)
    e = np.full(len(Y), 0.5)
    mu0, mu1 = np.zeros(len(Y)), np.zeros(len(Y))
    scores = T * Y / e - (1 - T) * Y / (1 - e)
    data = {"Y": Y, "T": T, "X": X, "folds": folds, "scores": scores, "e": e, "mu0": mu0, "mu1": mu1}
    cfg = CateConfig(models=(ridge_learner,), n_trials=4, tune_timeout=0)
    res = tune_model(ridge_learner, data, cfg, seed=0)
    assert res.n_trials == 4 and res.best_loss <= res.default_loss
    defaults = held_out_loss(ridge_learner, {"alpha": 1.0}, model_seed(0, ridge_learner), data, "dr", cfg.tune_folds)
    assert res.default_loss == defaults  # the first trial ran the defaults
    assert set(res.params) == {"alpha"}
