"""Track 2a parameters: study design, propensity, ATE family."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DesignConfig:
    design: str = "first-typeA"  # first-typeA | campaign:ID
    post_weeks: int = 4
    lookback_weeks: int = 0  # 0 = longest window every unit shares
    exclude_contaminated_controls: bool = False


@dataclass(frozen=True)
class AteConfig:
    folds: int = 5
    trims: tuple[float, ...] = (0.0, 0.05, 0.10, 0.15, 0.20, 0.25)
