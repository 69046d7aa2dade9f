"""segments stage: household features -> scaled -> NMF factors -> K-Means segments, named and profiled.

Public names (``SegmentModel``, ``run_segments``, ...) are imported on first use; the table is
``segtarget.PUBLIC``.
"""

from typing import TYPE_CHECKING

from .. import _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(__name__)

if TYPE_CHECKING:
    from .config import SegmentConfig, SegmentSpec
    from .featureset import ALL_FEATURES, REDUCED_FEATURES
    from .model import SegmentModel
    from .pipeline import SegmentationResult, assign_segments, run_segments
    from .stability import StabilityResult, bootstrap_stability
    from .transform import FeatureScaler
