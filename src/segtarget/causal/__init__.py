"""Causal stage: ``design`` (who is treated, when, against whom), ``ate`` (average effects), ``cate``
(heterogeneous effects), ``event`` (panel event study), ``validation`` (checks against known truth); the
cross-fitted nuisances all of them share live in ``nuisance``.

Public names (``build_design``, ``crossfit_nuisances``, ``aipw``, ``CateModel``, ...) are imported on first
use; the table is ``segtarget.PUBLIC``.
"""

from typing import TYPE_CHECKING

from .. import _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(__name__)

if TYPE_CHECKING:
    from .ate.dml import dml_ate
    from .ate.estimators import (AteEstimate, aipw, atc_dr, att_dr, ato_dr, estimates_frame, ipw_hajek, naive,
                                 ols_hc1, weighting_family)
    from .ate.pipeline import compute_ate, run_ate
    from .ate.result import AteResult
    from .cate.config import CateConfig
    from .cate.pipeline import CateResult, compute_cate, run_cate
    from .cate.rate import RankingEvaluation, evaluate_ranking
    from .cate.zoo import MODEL_NAMES as CATE_MODELS
    from .cate.zoo import CateModel, EnsembleCateModel, OOFPrediction, default_params, oof_cate_many
    from .config import AteConfig, DesignConfig
    from .design.study import Cohort, build_design
    from .nuisance import Nuisances, crossfit_nuisances, dr_scores, make_folds
