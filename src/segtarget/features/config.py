"""Feature-stage parameters.

Which transaction lines count is not a feature setting: the data layer drops lines with quantity <= 0 (and
negative or non-finite sales) for every stage alike, and the data-quality table counts them (data/validate.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import ConfigCheck


@dataclass(frozen=True)
class FeatureConfig:
    # Include promotion exposure features (needs the promotions table; large on the embedded data).
    exposure: bool = True
    # DuckDB memory limit of the run's connection, like "4GB"; empty = DuckDB's default.
    memory_limit: str = ""
    # DuckDB worker threads; 0 = DuckDB's default (all cores).
    threads: int = 0
    # Where DuckDB spills when a query exceeds memory_limit; empty = DuckDB's default.
    temp_directory: str = ""

    def __post_init__(self):
        c = ConfigCheck("features", self)
        c.holds(self.memory_limit == "" or bool(re.fullmatch(r"\d+(\.\d+)?\s*[kmgt]?i?b", self.memory_limit, re.I)),
                "memory_limit", "empty (DuckDB's default) or a size like '4GB' or '512MiB'", "4GB")
        c.within("threads", "[0, inf)")  # 0 = DuckDB's default
