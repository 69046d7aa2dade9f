"""Synthetic household feature tables with a planted segment structure (for tests and benchmarks).

Each planted segment has its own non-negative profile over the 19 reduced features; a household's
features are its segment's profile times a lognormal size factor plus non-negative noise. With
``separation`` well above ``noise`` the segments are recoverable, which is what the recovery test checks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .featureset import ID, REDUCED_FEATURES


def planted_households(n: int = 300, k: int = 3, *, seed: int = 0, separation: float = 3.0,
                       noise: float = 0.3) -> tuple[pd.DataFrame, np.ndarray]:
    """(feature table with household_id + REDUCED_FEATURES, true segment of each row)."""
    rng = np.random.default_rng(seed)
    p = len(REDUCED_FEATURES)
    profiles = rng.gamma(0.5, 1.0, size=(k, p))
    for j in range(k):  # each segment owns a block of features so the segments differ in content
        profiles[j, j * (p // k):(j + 1) * (p // k)] += separation
    truth = rng.permutation(np.arange(n) % k)
    size = rng.lognormal(0.0, 0.1, size=(n, 1))
    X = profiles[truth] * size + np.abs(rng.normal(0.0, noise, size=(n, p)))
    df = pd.DataFrame(X, columns=list(REDUCED_FEATURES))
    df.insert(0, ID, np.arange(1, n + 1) * 7)
    return df, truth


def heavy_tailed_households(n: int = 600, k: int = 5, *, seed: int = 0, spread: float = 1.5,
                            noise: float = 0.25) -> tuple[pd.DataFrame, np.ndarray]:
    """Planted segments on the log scale: each feature is exp(segment centre + noise), so every feature is
    log-normal (heavy right tail, skewness well above 2) and the segments differ in the orders of magnitude.

    Under MinMax scaling the few largest households set the scale and the rest crowd near 0; after a log
    transform the segments are separated blobs. Returns (feature table, true segment of each row)."""
    rng = np.random.default_rng(seed)
    p = len(REDUCED_FEATURES)
    centres = rng.normal(0.0, spread, size=(k, p))
    truth = rng.permutation(np.arange(n) % k)
    X = np.exp(centres[truth] + rng.normal(0.0, noise, size=(n, p)) + rng.normal(0.0, 0.5, size=(n, 1)))
    df = pd.DataFrame(X, columns=list(REDUCED_FEATURES))
    df.insert(0, ID, np.arange(1, n + 1))
    return df, truth
