"""Statistical constants shared by every stage."""

from __future__ import annotations

# Two-sided 95% normal quantile, scipy.stats.norm.ppf(0.975) to full double precision (tests/test_layout.py
# checks it). A literal, not a scipy call, so importing it costs nothing at CLI start-up.
Z95 = 1.959963984540054
