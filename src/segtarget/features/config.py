"""Feature-stage parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ConfigCheck


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

    def __post_init__(self):
        c = ConfigCheck("features", self)
        c.holds(self.memory_limit == "" or bool(re.fullmatch(r"\d+(\.\d+)?\s*[kmgt]?i?b", self.memory_limit, re.I)),
                "memory_limit", "empty (DuckDB's default) or a size like '4GB' or '512MiB'", "4GB")
        c.within("threads", "[0, inf)")  # 0 = DuckDB's default
