"""Track 1 (segmentation) parameters."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SegmentConfig:
    features: str = "reduced"  # "reduced" (the 19 of the reference) or a comma-separated feature list
    nmf_k_min: int = 2
    nmf_k_max: int = 11
    nmf_k: int = 0  # 0 = automatic rule; 5 reproduces the reference
    kmeans_k_min: int = 2
    kmeans_k_max: int = 10
    kmeans_k: int = 0  # 0 = automatic rule; 7 reproduces the reference
    n_bootstrap: int = 100
