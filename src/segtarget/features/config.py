"""Feature-stage parameters."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FeatureConfig:
    # Reference-compatible line filter: drop lines with quantity <= 0 before computing features.
    drop_nonpositive_quantity: bool = True
    # Include promotion exposure features (needs the promotions table; large on the embedded data).
    exposure: bool = True
    # DuckDB resources; memory_limit like "4GB", empty = DuckDB default.
    memory_limit: str = ""
    threads: int = 0
    temp_directory: str = ""
