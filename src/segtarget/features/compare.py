"""How close two households' feature distributions are, one feature at a time (e.g. source vs synthetic).

Per feature: mean, standard deviation and the 10/50/90% quantiles of each side, the relative difference of
the means, and the two-sample Kolmogorov-Smirnov statistic (the largest gap between the two empirical
CDFs: 0 = same distribution, 1 = disjoint). ``compare_synthetic`` applies it to a ``segtarget synth``
folder: its resampled households (replicate >= 1, listed in ``synth_plan.parquet``) against the source's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import SegtargetError
from .definitions import FEATURE_NAMES

QUANTILES = (0.10, 0.50, 0.90)
DEFAULT_SAMPLE = 5_000  # resampled households whose features are computed (enough for KS ~ 0.03 resolution)


@dataclass(frozen=True)
class MarginalComparison:
    """One row per feature: both sides' mean/sd/quantiles, the relative mean difference and the KS statistic."""

    table: pd.DataFrame
    n_source: int
    n_other: int

    def summary_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def headline(self) -> str:
        """One line: the largest KS statistic and mean difference, and which features they are."""
        t = self.table
        ks, rel = t.loc[t["ks"].idxmax()], t.loc[t["mean_rel_diff"].abs().idxmax()]
        return (f"{len(t)} features, {self.n_source:,} source vs {self.n_other:,} synthetic households: "
                f"median KS {t['ks'].median():.3f}, largest KS {ks['ks']:.3f} ({ks['feature']}), "
                f"largest mean difference {rel['mean_rel_diff']:+.1%} ({rel['feature']})")


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import ks_2samp

    return float(ks_2samp(a, b).statistic) if len(a) and len(b) else float("nan")


def compare_marginals(source: pd.DataFrame, other: pd.DataFrame, columns=FEATURE_NAMES) -> MarginalComparison:
    """Compare the marginal distribution of each of ``columns`` between two feature tables."""
    missing = [c for c in columns if c not in source.columns or c not in other.columns]
    if missing:
        raise SegtargetError(f"feature tables: column(s) {', '.join(missing)} missing; compute both with "
                             "segtarget.features.compute_features")
    rows = []
    for col in columns:
        a, b = (pd.to_numeric(df[col], errors="coerce").dropna().to_numpy(float) for df in (source, other))
        row = {"feature": col}
        for side, x in (("source", a), ("synthetic", b)):
            row[f"{side}_mean"] = x.mean() if len(x) else np.nan
            row[f"{side}_sd"] = x.std(ddof=1) if len(x) > 1 else np.nan
            for q in QUANTILES:
                row[f"{side}_q{int(q * 100)}"] = np.quantile(x, q) if len(x) else np.nan
        sm = row["source_mean"]
        row["mean_rel_diff"] = (row["synthetic_mean"] - sm) / abs(sm) if sm else np.nan
        row["ks"] = _ks(a, b)
        rows.append(row)
    return MarginalComparison(table=pd.DataFrame(rows), n_source=len(source), n_other=len(other))


def compare_synthetic(source: str, synthetic: str | Path, *, sample: int = DEFAULT_SAMPLE,
                      seed: int = 0) -> MarginalComparison:
    """Source features (every household) against a seeded sample of a synth folder's resampled households."""
    from ..data import load_source
    from . import compute_features

    if sample < 1:
        raise SegtargetError(f"parameter --compare-households {sample}: must be at least 1")
    plan_path = Path(synthetic) / "synth_plan.parquet"
    if not plan_path.is_file():
        raise SegtargetError(f"file {plan_path}: not found; compare a folder written by `segtarget synth`")
    plan = pd.read_parquet(plan_path)
    ids = plan.loc[plan["replicate"] > 0, "household_id"].to_numpy()
    if len(ids) == 0:
        raise SegtargetError(f"folder {synthetic}: no resampled households (replicate >= 1) to compare; "
                             "ask synth for more households than the source has")
    if len(ids) > sample:
        ids = np.sort(np.random.default_rng(seed).choice(ids, sample, replace=False))
    src = compute_features(load_source(source, validate=False), exposure=False)
    syn = compute_features(load_source(f"tables:{synthetic}", validate=False), households=ids, exposure=False)
    return compare_marginals(src, syn)


__all__ = ["compare_marginals", "compare_synthetic", "MarginalComparison", "DEFAULT_SAMPLE"]
