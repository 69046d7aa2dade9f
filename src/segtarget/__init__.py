"""segtarget: who are our customers, and whom should the next campaign target?

The package reads like the data flow: ``data`` -> ``features`` -> ``segments`` -> ``causal`` -> ``policy``
-> ``report``, with ``cli`` on top. The public API is importable from the top level (``segtarget.load_source``,
``segtarget.SegmentModel``, ... see ``__all__`` and docs/api.md). Names are resolved on first use (PEP 562),
so ``import segtarget`` loads no heavy library (econml, lightgbm, matplotlib, scikit-learn) and the CLI
starts fast.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# The one table of public names: package -> {name: "module:attribute"}. Each package's __init__ exports its
# entry lazily through ``_lazy_exports``; the top level re-exports from the packages where one exists, so a
# module that moves changes one line here. tests/test_public_api.py checks every entry resolves. What IDEs
# and type checkers see is __init__.pyi (a stub, so this stage-free root imports no stage, not even for typing).
PUBLIC: dict[str, dict[str, str]] = {
    "segtarget": {
        # data and features
        "load_source": "segtarget.data:load_source",
        "Tables": "segtarget.data:Tables",
        "compute_features": "segtarget.features:compute_features",
        # segments
        "SegmentModel": "segtarget.segments:SegmentModel",
        # study design
        "build_design": "segtarget.causal:build_design",
        "DesignConfig": "segtarget.causal:DesignConfig",
        "Cohort": "segtarget.causal:Cohort",
        # average effects
        "crossfit_nuisances": "segtarget.causal:crossfit_nuisances",
        "Nuisances": "segtarget.causal:Nuisances",
        "dr_scores": "segtarget.causal:dr_scores",
        "AteEstimate": "segtarget.causal:AteEstimate",
        "aipw": "segtarget.causal:aipw",
        "weighting_family": "segtarget.causal:weighting_family",
        "estimates_frame": "segtarget.causal:estimates_frame",
        "compute_ate": "segtarget.causal:compute_ate",
        # heterogeneous effects (the CATE zoo)
        "CateModel": "segtarget.causal:CateModel",
        "EnsembleCateModel": "segtarget.causal:EnsembleCateModel",
        "CateConfig": "segtarget.causal:CateConfig",
        "CATE_MODELS": "segtarget.causal:CATE_MODELS",
        "oof_cate_many": "segtarget.causal:oof_cate_many",
        "evaluate_ranking": "segtarget.causal:evaluate_ranking",
        "compute_cate": "segtarget.causal:compute_cate",
        # policy evaluation and the verdict
        "policy_value": "segtarget.policy:policy_value",
        "PolicyValue": "segtarget.policy:PolicyValue",
        "value_frame": "segtarget.policy:value_frame",
        "PolicyInputs": "segtarget.policy:PolicyInputs",
        "compute_policy": "segtarget.policy:compute_policy",
        # configuration and the whole run
        "Config": "segtarget.config:Config",
        "load_config": "segtarget.config:load_config",
        # ``run(cfg)`` computes every stage in memory and returns a RunResult; ``.write(out)`` writes the report.
        "run": "segtarget.pipeline:run",
        "RunResult": "segtarget.pipeline:RunResult",
        "SegtargetError": "segtarget.errors:SegtargetError",
    },
    "segtarget.segments": {
        "SegmentModel": "segtarget.segments.model:SegmentModel",
        "SegmentConfig": "segtarget.segments.config:SegmentConfig",
        "SegmentSpec": "segtarget.segments.config:SegmentSpec",
        "SegmentationResult": "segtarget.segments.pipeline:SegmentationResult",
        "run_segments": "segtarget.segments.pipeline:run_segments",
        "assign_segments": "segtarget.segments.pipeline:assign_segments",
        "FeatureScaler": "segtarget.segments.transform:FeatureScaler",
        "bootstrap_stability": "segtarget.segments.stability:bootstrap_stability",
        "StabilityResult": "segtarget.segments.stability:StabilityResult",
        "REDUCED_FEATURES": "segtarget.segments.featureset:REDUCED_FEATURES",
        "ALL_FEATURES": "segtarget.segments.featureset:ALL_FEATURES",
    },
    "segtarget.causal": {
        "DesignConfig": "segtarget.causal.config:DesignConfig",
        "AteConfig": "segtarget.causal.config:AteConfig",
        "CateConfig": "segtarget.causal.cate.config:CateConfig",
        "build_design": "segtarget.causal.design.study:build_design",
        "Cohort": "segtarget.causal.design.study:Cohort",
        "make_folds": "segtarget.causal.nuisance:make_folds",
        "crossfit_nuisances": "segtarget.causal.nuisance:crossfit_nuisances",
        "dr_scores": "segtarget.causal.nuisance:dr_scores",
        "Nuisances": "segtarget.causal.nuisance:Nuisances",
        "AteEstimate": "segtarget.causal.ate.estimators:AteEstimate",
        "naive": "segtarget.causal.ate.estimators:naive",
        "ols_hc1": "segtarget.causal.ate.estimators:ols_hc1",
        "ipw_hajek": "segtarget.causal.ate.estimators:ipw_hajek",
        "aipw": "segtarget.causal.ate.estimators:aipw",
        "att_dr": "segtarget.causal.ate.estimators:att_dr",
        "atc_dr": "segtarget.causal.ate.estimators:atc_dr",
        "ato_dr": "segtarget.causal.ate.estimators:ato_dr",
        "weighting_family": "segtarget.causal.ate.estimators:weighting_family",
        "estimates_frame": "segtarget.causal.ate.estimators:estimates_frame",
        "dml_ate": "segtarget.causal.ate.dml:dml_ate",
        "AteResult": "segtarget.causal.ate.result:AteResult",
        "compute_ate": "segtarget.causal.ate.pipeline:compute_ate",
        "run_ate": "segtarget.causal.ate.pipeline:run_ate",
        "CateModel": "segtarget.causal.cate.zoo:CateModel",
        "EnsembleCateModel": "segtarget.causal.cate.zoo:EnsembleCateModel",
        "CATE_MODELS": "segtarget.causal.cate.zoo:MODEL_NAMES",
        "default_params": "segtarget.causal.cate.zoo:default_params",
        "OOFPrediction": "segtarget.causal.cate.zoo:OOFPrediction",
        "oof_cate_many": "segtarget.causal.cate.zoo:oof_cate_many",
        "CateResult": "segtarget.causal.cate.pipeline:CateResult",
        "compute_cate": "segtarget.causal.cate.pipeline:compute_cate",
        "run_cate": "segtarget.causal.cate.pipeline:run_cate",
        "evaluate_ranking": "segtarget.causal.cate.rate:evaluate_ranking",
        "RankingEvaluation": "segtarget.causal.cate.rate:RankingEvaluation",
    },
    "segtarget.policy": {
        "PolicyConfig": "segtarget.policy.config:PolicyConfig",
        "policy_value": "segtarget.policy.value:policy_value",
        "PolicyValue": "segtarget.policy.value:PolicyValue",
        "value_frame": "segtarget.policy.value:value_frame",
        "profit_curve": "segtarget.policy.curves:profit_curve",
        "PolicyInputs": "segtarget.policy.pipeline:PolicyInputs",
        "PolicyResult": "segtarget.policy.pipeline:PolicyResult",
        "compute_policy": "segtarget.policy.pipeline:compute_policy",
        "run_policy": "segtarget.policy.pipeline:run_policy",
    },
}


def _lazy_exports(package: str):
    """``(__all__, __getattr__, __dir__)`` for ``package``: each public name is imported on first access."""
    table = PUBLIC[package]

    def __getattr__(name: str):
        try:
            target = table[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        module, _, attr = target.partition(":")
        value = getattr(importlib.import_module(module), attr)
        globals_of_package = importlib.import_module(package).__dict__
        globals_of_package[name] = value  # cache: later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(importlib.import_module(package).__dict__) | set(table))

    return sorted(table), __getattr__, __dir__


__all__, __getattr__, __dir__ = _lazy_exports(__name__)
