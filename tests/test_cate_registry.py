"""The CATE learner registry: rows, registration from outside, validation, labels, seeds by name, workers."""

from __future__ import annotations

import pickle

import cloudpickle  # what joblib (loky) and Ray pickle tasks with
import numpy as np
import pytest

from segtarget.causal.cate import registry, zoo
from segtarget.causal.cate.config import CateConfig
from segtarget.causal.cate.registry import (BUILTIN_NAMES, LABELS, Learner, carrying_learners, check_models,
                                            get_learner, has_intervals, learner_names, register_learner,
                                            unregister_learner)
from segtarget.causal.cate.zoo import CateModel, model_seed
from segtarget.errors import SegtargetError


class MeanDiff:
    """The difference in arm means for everyone: the smallest possible learner."""

    def fit(self, Y, T, *, X):
        self.tau_ = float(np.mean(Y[T == 1]) - np.mean(Y[T == 0]))
        return self

    def effect(self, X):
        return np.full(len(X), self.tau_)


def _build(params, seed):
    return MeanDiff()


@pytest.fixture
def mean_diff():
    learner = register_learner(Learner("mean_diff", "Difference in means", _build, lambda cfg: {}))
    yield learner
    unregister_learner("mean_diff")


def test_builtin_rows_are_the_default_models():
    assert CateConfig().models == BUILTIN_NAMES == ("s", "t", "x", "dr", "r", "linear_dml", "causal_forest")
    assert {n for n in BUILTIN_NAMES if has_intervals(n)} == {"linear_dml", "causal_forest"}
    assert LABELS["r"] == "R-learner" and LABELS["ensemble"] == "Ensemble"
    assert not has_intervals("ensemble") and not has_intervals("nope")


def test_registered_learner_is_named_in_config_labelled_and_fitted(mean_diff):
    assert learner_names()[-1] == "mean_diff" and CateConfig(models=("t", "mean_diff")).models == ("t", "mean_diff")
    assert LABELS["mean_diff"] == "Difference in means"
    rng = np.random.default_rng(0)
    X, T = rng.normal(size=(50, 2)), np.tile([0, 1], 25)
    Y = 2.0 * T + rng.normal(size=50)
    m = CateModel("mean_diff", None, 0).fit(Y, T, X=X)  # params None: the row's defaults
    assert m.effect(X[:3]) == pytest.approx([Y[T == 1].mean() - Y[T == 0].mean()] * 3)
    lo, hi = m.effect_interval(X[:3])
    assert np.isnan(lo).all() and np.isnan(hi).all()


def test_unregistered_learner_is_gone(mean_diff):
    unregister_learner("mean_diff")
    assert "mean_diff" not in LABELS and "mean_diff" not in learner_names()
    with pytest.raises(SegtargetError, match="cate.models: unknown model 'mean_diff'.*register_learner"):
        CateConfig(models=("mean_diff",))


@pytest.mark.parametrize("name, message", [
    ("Mean Diff", "lower-case letters"), ("ensemble", "not 'ensemble'"), ("t", "already registered"),
])
def test_bad_registrations_are_refused(name, message):
    with pytest.raises(SegtargetError, match=message):
        register_learner(Learner(name, "x", _build, lambda cfg: {}))


def test_duplicates_need_replace_and_builtins_stay(mean_diff):
    with pytest.raises(SegtargetError, match="replace=True"):
        register_learner(Learner("mean_diff", "again", _build, lambda cfg: {}))
    register_learner(Learner("mean_diff", "again", _build, lambda cfg: {}), replace=True)
    assert LABELS["mean_diff"] == "again"
    with pytest.raises(SegtargetError, match="built in"):
        unregister_learner("t")
    with pytest.raises(SegtargetError, match="build must be a function"):
        Learner("odd", "Odd", build=None, defaults=lambda cfg: {})


def test_check_models_lists_every_registered_learner(mean_diff):
    with pytest.raises(SegtargetError, match="choose from s, t, .*causal_forest, mean_diff"):
        check_models(("bart",))
    assert check_models(("mean_diff", "t", "mean_diff")) == ("mean_diff", "t")


def test_workers_receive_registered_learners(mean_diff):
    assert carrying_learners(len) is not len
    task = pickle.loads(cloudpickle.dumps(carrying_learners(get_learner)))  # as joblib's workers receive it
    unregister_learner("mean_diff")  # as in a fresh worker: only the built-ins
    assert task("mean_diff").label == "Difference in means"  # registered again before the task ran


def test_without_registered_learners_tasks_are_untouched():
    assert carrying_learners(len) is len


def test_cache_token_covers_registered_learners_only(mean_diff):
    assert registry.cache_token(BUILTIN_NAMES) == ""
    first = registry.cache_token(("t", "mean_diff"))
    assert first and registry.cache_token(("mean_diff",)) == first
    register_learner(Learner("mean_diff", "changed", _build, lambda cfg: {}), replace=True)
    assert registry.cache_token(("t", "mean_diff")) not in ("", first)  # new code: the cached CATE is stale


def test_model_seed_follows_the_name_not_a_position(mean_diff, monkeypatch):
    seeds = {n: model_seed(42, n) for n in BUILTIN_NAMES}
    assert len(set(seeds.values())) == len(seeds)
    # Reordering the table (or adding a learner, as the fixture did) re-seeds no one.
    monkeypatch.setattr(registry._REGISTRY, "rows", dict(reversed(list(registry._REGISTRY.rows.items()))))
    monkeypatch.setattr(registry, "BUILTIN", tuple(reversed(registry.BUILTIN)))
    monkeypatch.setattr(zoo, "MODEL_NAMES", tuple(reversed(zoo.MODEL_NAMES)))
    assert {n: model_seed(42, n) for n in BUILTIN_NAMES} == seeds
    assert model_seed(42, "t") == 19305365  # pinned: a changed hash changes every CATE number
    assert model_seed(43, "t") != seeds["t"]
