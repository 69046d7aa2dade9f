"""causal stage: study design -> nuisances -> average effects -> the CATE zoo -> ranking evaluation.

Public names (``build_design``, ``crossfit_nuisances``, ``aipw``, ``CateModel``, ...) are imported on first
use; the table is ``segtarget.PUBLIC``.
"""

from typing import TYPE_CHECKING

from .. import _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(__name__)

if TYPE_CHECKING:
    from .ate import (AteEstimate, aipw, atc_dr, att_dr, ato_dr, estimates_frame, ipw_hajek, naive, ols_hc1,
                      weighting_family)
    from .ate_dml import dml_ate
    from .ate_pipeline import AteResult, run_ate
    from .cate_config import CateConfig
    from .cate_pipeline import CateResult, run_cate
    from .config import AteConfig, DesignConfig
    from .design import Cohort, build_design
    from .nuisance import Nuisances, crossfit_nuisances, dr_scores, make_folds
    from .rate import RankingEvaluation, evaluate_ranking
    from .zoo import MODEL_NAMES as CATE_MODELS
    from .zoo import EnsembleCateModel, CateModel, OOFPrediction, default_params, oof_cate_many
