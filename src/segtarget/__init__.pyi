"""Type stub of the lazy top-level API (see __init__.py): what IDEs and type checkers see.

tests/test_public_api.py keeps these imports equal to ``PUBLIC["segtarget"]``.
"""

from typing import Any, Callable

from .causal import (CATE_MODELS, AteEstimate, CateConfig, CateModel, Cohort, DesignConfig, EnsembleCateModel,
                     Nuisances, aipw, build_design, compute_ate, compute_cate, crossfit_nuisances, dr_scores,
                     estimates_frame, evaluate_ranking, oof_cate_many, weighting_family)
from .config import Config, load_config
from .data import Tables, load_source
from .errors import SegtargetError
from .features import compute_features
from .pipeline import RunResult, run
from .policy import PolicyInputs, PolicyValue, compute_policy, policy_value, value_frame
from .segments import SegmentModel

__version__: str
PUBLIC: dict[str, dict[str, str]]

def _lazy_exports(package: str) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]: ...

__all__ = [
    "AteEstimate",
    "CATE_MODELS",
    "CateConfig",
    "CateModel",
    "Cohort",
    "Config",
    "DesignConfig",
    "EnsembleCateModel",
    "Nuisances",
    "PolicyInputs",
    "PolicyValue",
    "SegmentModel",
    "SegtargetError",
    "Tables",
    "aipw",
    "build_design",
    "compute_ate",
    "compute_cate",
    "compute_features",
    "compute_policy",
    "crossfit_nuisances",
    "dr_scores",
    "estimates_frame",
    "evaluate_ranking",
    "load_config",
    "load_source",
    "oof_cate_many",
    "policy_value",
    "run",
    "RunResult",
    "value_frame",
    "weighting_family",
]
