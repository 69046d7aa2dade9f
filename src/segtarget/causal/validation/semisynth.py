"""Semi-synthetic campaign data on real household covariates, with a known treatment effect.

The covariates are real (whatever DataFrame is passed: the pipeline passes the embedded cohort's
pre-period features); treatment and outcome are simulated so every model can be scored against the truth.

Construction (all indices standardised to mean 0, sd 1 over the households):

- z: each covariate log1p-transformed when it is non-negative and right-skewed, then standardised and
  clipped to [-3, 3]; constant columns are dropped.
- h, "heavy buyer" index: mean z of the volume columns (names containing monetary, frequency,
  transaction_count, n_products, n_baskets, spend, visits); first principal component if none exist.
- d, "deal affinity" index: mean z of columns containing discount, coupon, private_label, deal; second
  principal component if none exist (orthogonalised against h).
- Baseline spend mu0(x) = base_spend * exp(0.55 h + 0.10 d) / mean(exp(...)).
- Raw effect tau0(x) = effect_scale * (45 + 25 tanh(d) - 70 sigmoid((h - 1.1) / 0.25)): most households gain
  $20-70, heavy buyers (about the top 15% of h, the reference's "VIP Heavy" profile) lose about $25 - the
  offer subsidises purchases they would have made anyway and crowds out full-price trips. tau0 is bounded
  below by -0.8 mu0 so potential spend stays positive.
- Outcome: Y = B * (mu0 + T tau0) * M, where M ~ LogNormal(-s^2/2, s) (mean 1; s = noise_sd gives the
  skewed spend noise) and B ~ Bernoulli(1 - p0(x)) zeroes out inactive households, p0 = zero_share *
  2 sigmoid(-1.5 h) (light buyers are more often inactive). Hence the true CATE, the estimand every model is
  scored against, is tau(x) = (1 - p0(x)) tau0(x).
- Assignment: logit e(x) = a (h + 0.5 d + 0.25 (h^2 - 1)) + b, heavy buyers targeted more (as in the real
  campaigns), which confounds the naive comparison because their effect is negative. b sets the treated
  share; a is found by bisection so that the expected ROC AUC of the true propensity equals ``auc``
  (up to about 0.99, the reference's PS AUC).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...errors import SegtargetError

# The reference implementation's break-even ($12.73 cost / 0.30 margin): the regret benchmarks/bench_cate.py
# reports is taken here, so its numbers stay comparable; ``segtarget validate`` uses the config's break-even.
REFERENCE_BREAKEVEN = 42.43
VOLUME_WORDS = ("monetary", "frequency", "transaction_count", "n_products", "n_baskets", "spend", "visits")
DEAL_WORDS = ("discount", "coupon", "private_label", "deal")


@dataclass(frozen=True)
class SemiSynthetic:
    """Simulated campaign on real covariates; ``tau`` is the true CATE E[Y(1) - Y(0) | x]."""

    X: pd.DataFrame
    Y: np.ndarray
    T: np.ndarray
    tau: np.ndarray
    e: np.ndarray
    mu0: np.ndarray
    auc: float  # expected ROC AUC of the true propensity
    breakeven: float
    settings: dict = field(default_factory=dict)

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "n": len(self.Y), "treated_share": float(self.T.mean()), "propensity_auc": self.auc,
            "true_ate": float(self.tau.mean()), "true_cate_sd": float(self.tau.std()),
            "share_negative_effect": float((self.tau < 0).mean()),
            "share_above_breakeven": float((self.tau > self.breakeven).mean()), "breakeven": self.breakeven,
            "naive_difference": float(self.Y[self.T == 1].mean() - self.Y[self.T == 0].mean()),
            **{k: v for k, v in self.settings.items() if np.isscalar(v)},
        }])


def _standardise(X: pd.DataFrame) -> pd.DataFrame:
    num = X.select_dtypes(include="number").astype(float)
    if num.shape[1] == 0:
        raise SegtargetError("covariates: no numeric columns; pass the household feature table")
    if num.isna().any().any():
        bad = num.columns[num.isna().any()][0]
        raise SegtargetError(f"covariates column '{bad}': missing values; fill them (e.g. with 0) first")
    out = {}
    for c in num.columns:
        v = num[c].to_numpy()
        if v.min() >= 0 and pd.Series(v).skew() > 1:
            v = np.log1p(v)
        sd = v.std()
        if sd > 0:
            out[c] = np.clip((v - v.mean()) / sd, -3, 3)
    if not out:
        raise SegtargetError("covariates: every numeric column is constant; nothing to simulate from")
    return pd.DataFrame(out, index=X.index)


def _unit(v: np.ndarray) -> np.ndarray:
    return (v - v.mean()) / (v.std() if v.std() > 0 else 1.0)


def _index(Z: pd.DataFrame, words: tuple[str, ...], fallback: np.ndarray) -> np.ndarray:
    cols = [c for c in Z.columns if any(w in c.lower() for w in words)]
    return _unit(Z[cols].mean(axis=1).to_numpy()) if cols else _unit(fallback)


def _pcs(Z: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    A = Z.to_numpy() - Z.to_numpy().mean(axis=0)
    u, s, vt = np.linalg.svd(A, full_matrices=False)
    pcs = []
    for k in range(2):
        if k < len(s):
            sign = np.sign(vt[k].sum()) or 1.0
            pcs.append(u[:, k] * s[k] * sign)
        else:
            pcs.append(np.zeros(len(A)))
    return pcs[0], pcs[1]


def expected_auc(e: np.ndarray) -> float:
    """Expected ROC AUC of score e when T ~ Bernoulli(e) independently (pairs i != j)."""
    e = np.sort(np.asarray(e, float))
    before = np.cumsum(1 - e) - (1 - e)  # sum of (1 - e_j) over units ranked below i
    num = float(np.sum(e * before))
    den = float(e.sum() * (1 - e).sum() - np.sum(e * (1 - e)))
    return num / den if den > 0 else 0.5


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def _intercept(index: np.ndarray, a: float, share: float) -> float:
    lo, hi = -30.0, 30.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _sigmoid(a * index + mid).mean() < share else (lo, mid)
    return (lo + hi) / 2


def _calibrate(index: np.ndarray, auc: float, share: float) -> tuple[float, float]:
    lo, hi = 0.0, 50.0
    for _ in range(50):
        a = (lo + hi) / 2
        got = expected_auc(_sigmoid(a * index + _intercept(index, a, share)))
        lo, hi = (a, hi) if got < auc else (lo, a)
    a = (lo + hi) / 2
    return a, _intercept(index, a, share)


def make_semisynthetic(X: pd.DataFrame, *, auc: float = 0.95, seed: int = 0, treated_share: float = 0.6,
                       base_spend: float = 350.0, effect_scale: float = 1.0, noise_sd: float = 0.6,
                       zero_share: float = 0.10, breakeven: float = REFERENCE_BREAKEVEN) -> SemiSynthetic:
    """Simulate treatment and spend on the real covariates ``X`` (see the module docstring)."""
    if not 0.5 < auc < 0.999:
        raise SegtargetError(f"--auc {auc}: the propensity AUC must lie in (0.5, 0.999); try 0.95")
    if not 0.05 <= treated_share <= 0.95:
        raise SegtargetError(f"treated_share {treated_share}: use a share between 0.05 and 0.95")
    if len(X) < 100:
        raise SegtargetError(f"covariates: {len(X)} rows; the semi-synthetic check needs at least 100 households")
    Z = _standardise(X)
    pc1, pc2 = _pcs(Z)
    h = _index(Z, VOLUME_WORDS, pc1)
    d0 = _index(Z, DEAL_WORDS, pc2)
    d = _unit(d0 - (d0 @ h) / (h @ h) * h) if np.std(d0 - (d0 @ h) / (h @ h) * h) > 1e-9 else d0
    rng = np.random.default_rng(seed)
    lin = 0.55 * h + 0.10 * d
    mu0 = base_spend * np.exp(lin) / np.exp(lin).mean()
    tau0 = effect_scale * (45 + 25 * np.tanh(d) - 70 * _sigmoid((h - 1.1) / 0.25))
    tau0 = np.maximum(tau0, -0.8 * mu0)
    p0 = zero_share * 2 * _sigmoid(-1.5 * h)
    index = h + 0.5 * d + 0.25 * (h**2 - 1)
    a, b = _calibrate(_unit(index), auc, treated_share)
    e = _sigmoid(a * _unit(index) + b)
    T = rng.binomial(1, e)
    M = rng.lognormal(-noise_sd**2 / 2, noise_sd, size=len(T))
    B = rng.binomial(1, 1 - p0)
    Y = B * (mu0 + T * tau0) * M
    settings = {"auc_target": auc, "seed": seed, "base_spend": base_spend, "effect_scale": effect_scale,
                "noise_sd": noise_sd, "zero_share": zero_share, "propensity_slope": a}
    return SemiSynthetic(X=X.reset_index(drop=True), Y=Y, T=T, tau=(1 - p0) * tau0, e=e, mu0=(1 - p0) * mu0,
                         auc=expected_auc(e), breakeven=breakeven, settings=settings)
