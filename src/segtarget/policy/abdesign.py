"""Design of the confirmatory A/B test and the exploration assignment for the next campaign.

**Sample size.** For a two-sided test at level alpha with power 1 - beta, a share p of the test households
treated, outcome standard deviation sigma and minimum detectable effect delta (difference in mean outcome),
the total size is N = (z_{1-alpha/2} + z_{1-beta})^2 sigma^2 / (delta^2 p (1 - p)); the arms get
ceil(p N) and ceil((1 - p) N). With p = 1/2 this is the familiar 2 ((z_a + z_b) sigma / delta)^2 per arm.
Conversely the effect detectable with N households is delta = (z_a + z_b) sigma / sqrt(N p (1 - p)).
By default delta is the break-even CATE: the smallest effect that pays for the contact.

**CUPED.** Adjusting the outcome by a pre-period covariate X, Y' = Y - theta (X - mean X) with
theta = cov(Y, X) / var(X), leaves the treatment contrast unbiased under randomisation and multiplies the
outcome variance by (1 - rho^2), rho = corr(Y, X); the required sample shrinks by the same factor. rho is
measured on the cohort, with pre-period spend per week as X.

**Stratification.** Strata are segment x propensity region (below / inside / above the overlap band);
treatment is assigned by complete randomisation within each stratum, so every stratum is balanced and the
logged propensity is the stratum's exact treated share.

**Epsilon-greedy exploration.** The recommended policy contacts a household with probability 1 - epsilon
and leaves it out with probability epsilon, otherwise the reverse; every household's probability of either
arm is at least epsilon and is logged, so the next campaign's data has positivity by design and can be
analysed with inverse-propensity or DR methods.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import require
from ..parallel import task_seeds


def _z_total(alpha: float, power: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))


def sample_size(mde: float, sigma: float, *, alpha: float = 0.05, power: float = 0.80,
                allocation: float = 0.5) -> tuple[int, int]:
    """(n_treatment, n_control) needed to detect ``mde`` (see module docstring)."""
    require(mde > 0, f"A/B design: the minimum detectable effect must be > 0, got {mde}")
    require(sigma > 0, "A/B design: the outcome has zero standard deviation; nothing to test")
    total = _z_total(alpha, power) ** 2 * sigma ** 2 / (mde ** 2 * allocation * (1 - allocation))
    return math.ceil(allocation * total - 1e-9), math.ceil((1 - allocation) * total - 1e-9)


def detectable_effect(n_total: int, sigma: float, *, alpha: float = 0.05, power: float = 0.80,
                      allocation: float = 0.5) -> float:
    """Smallest effect detectable with ``n_total`` households."""
    if n_total <= 0:
        return float("nan")
    return _z_total(alpha, power) * sigma / math.sqrt(n_total * allocation * (1 - allocation))


def cuped_theta(y, x) -> float:
    """theta = cov(y, x) / var(x) (0 when x is constant)."""
    y, x = np.asarray(y, float), np.asarray(x, float)
    vx = x.var(ddof=1)
    return float(np.cov(y, x, ddof=1)[0, 1] / vx) if vx > 0 else 0.0


def cuped_adjust(y, x, theta: float | None = None) -> np.ndarray:
    """Y - theta (X - mean X)."""
    y, x = np.asarray(y, float), np.asarray(x, float)
    theta = cuped_theta(y, x) if theta is None else theta
    return y - theta * (x - x.mean())


def _design_row(name: str, y: np.ndarray, pre: np.ndarray | None, mde: float, alpha: float, power: float,
                p: float) -> dict:
    sigma = float(np.std(y, ddof=1)) if len(y) > 1 else float("nan")
    row = {"population": name, "n_available": len(y), "sigma": sigma, "mde": mde, "alpha": alpha,
           "power": power, "allocation": p}
    if not (np.isfinite(sigma) and sigma > 0):
        return row
    nt, nc = sample_size(mde, sigma, alpha=alpha, power=power, allocation=p)
    row.update(n_treatment=nt, n_control=nc, n_total=nt + nc, feasible=nt + nc <= len(y),
               mde_with_all=detectable_effect(len(y), sigma, alpha=alpha, power=power, allocation=p))
    if pre is not None and np.std(pre) > 0:
        rho = float(np.corrcoef(y, pre)[0, 1])
        sd_c = sigma * math.sqrt(1 - rho ** 2)
        ntc, ncc = sample_size(mde, sd_c, alpha=alpha, power=power, allocation=p)
        row.update(cuped_rho=rho, variance_reduction=rho ** 2, n_treatment_cuped=ntc, n_control_cuped=ncc,
                   n_total_cuped=ntc + ncc, feasible_cuped=ntc + ncc <= len(y),
                   mde_with_all_cuped=detectable_effect(len(y), sd_c, alpha=alpha, power=power,
                                                        allocation=p))
    return row


def design_table(Y, populations: dict[str, np.ndarray], *, mde: float, pre=None, alpha: float = 0.05,
                 power: float = 0.80, allocation: float = 0.5) -> pd.DataFrame:
    """Plain and CUPED sample sizes for each population (name -> boolean mask over the cohort)."""
    Y = np.asarray(Y, float)
    pre = None if pre is None else np.asarray(pre, float)
    rows = [_design_row(name, Y[m], None if pre is None else pre[m], mde, alpha, power, allocation)
            for name, m in populations.items() if np.asarray(m).sum() > 1]
    return pd.DataFrame(rows)


def ps_region(propensity, overlap: tuple[float, float] = (0.1, 0.9)) -> np.ndarray:
    e = np.asarray(propensity, float)
    lo, hi = overlap
    return np.where(e < lo, f"low (<{lo:g})", np.where(e > hi, f"high (>{hi:g})", "overlap"))


def stratified_assignment(household_id, strata, *, allocation: float, seed: int) -> pd.DataFrame:
    """Complete randomisation within each stratum; ``propensity`` is the stratum's exact treated share."""
    strata = np.asarray(strata).astype(str)
    rng = np.random.default_rng(seed)
    treat = np.zeros(len(strata), dtype=int)
    prop = np.zeros(len(strata))
    for s in np.unique(strata):
        idx = np.flatnonzero(strata == s)
        k = int(round(allocation * len(idx)))
        treat[rng.permutation(idx)[:k]] = 1
        prop[idx] = k / len(idx)
    return pd.DataFrame({"household_id": np.asarray(household_id), "stratum": strata,
                         "ab_treat": treat, "ab_propensity": prop})


def epsilon_greedy(decision, *, epsilon: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(treat, propensity): follow the policy with probability 1 - epsilon, the other arm with epsilon."""
    d = np.asarray(decision, float) > 0.5
    prop = np.where(d, 1 - epsilon, epsilon)
    treat = (np.random.default_rng(seed).random(len(d)) < prop).astype(int)
    return treat, prop


def assignment_frame(household_id, segment, propensity, decision, *, overlap: tuple[float, float],
                     allocation: float, epsilon: float, seed: int) -> pd.DataFrame:
    """The next campaign's assignment file: stratified A/B arm and the epsilon-greedy alternative."""
    s_ab, s_eg = task_seeds(seed, 2)
    region = ps_region(propensity, overlap)
    seg = (pd.Series(segment).astype(str).to_numpy() if segment is not None
           else np.full(len(region), "all"))
    strata = np.char.add(np.char.add(seg.astype(str), " | "), region.astype(str))
    df = stratified_assignment(household_id, strata, allocation=allocation, seed=s_ab)
    df.insert(1, "segment", seg)
    df.insert(2, "ps_region", region)
    df["policy_target"] = (np.asarray(decision, float) > 0.5).astype(int)
    df["eg_treat"], df["eg_propensity"] = epsilon_greedy(decision, epsilon=epsilon, seed=s_eg)
    return df


def strata_table(assignment: pd.DataFrame) -> pd.DataFrame:
    """Households, treated and control count per stratum of the A/B assignment."""
    g = assignment.groupby(["segment", "ps_region"], sort=True)["ab_treat"]
    out = g.agg(n="size", n_treatment="sum").reset_index()
    out["n_control"] = out["n"] - out["n_treatment"]
    return out


def decision_test(y_control, pre_control=None, *, breakeven: float, delta: float, alpha: float = 0.05,
                  power: float = 0.80, allocation: float = 0.5, contacts_per_week: float | None = None) -> dict:
    """Size the test that decides the campaign: one-sided H0 "sales effect <= break-even (cost / margin)".

    Power is computed at the effect ``breakeven + delta``. sigma (and CUPED's rho with pre-period spend)
    come from the control arm, whose outcomes the campaign did not move. n_total = (z_{1-alpha} +
    z_power)^2 sigma^2 (1 - rho^2) / (delta^2 p (1 - p)). ``contacts_per_week`` (households the retailer's
    Type A campaigns contacted per week in the data) turns the treated arm into weeks of campaigning.
    """
    y = np.asarray(y_control, float)
    require(len(y) > 1 and delta > 0, "A/B design: need at least 2 control units and a positive effect size")
    sigma = float(np.std(y, ddof=1))
    rho = 0.0
    if pre_control is not None and np.std(pre_control) > 0 and sigma > 0:
        rho = float(np.corrcoef(y, np.asarray(pre_control, float))[0, 1])
    z = float(stats.norm.ppf(1 - alpha) + stats.norm.ppf(power))
    out = {"test": f"one-sided: sales effect > break-even ${breakeven:,.2f}", "breakeven": breakeven,
           "effect_at_power": breakeven + delta, "alpha_one_sided": alpha, "power": power,
           "allocation": allocation, "sigma_control": sigma, "cuped_rho_control": rho}
    for tag, var in (("", sigma ** 2), ("_cuped", sigma ** 2 * (1 - rho ** 2))):
        total = z ** 2 * var / (delta ** 2 * allocation * (1 - allocation))
        nt, nc = math.ceil(allocation * total - 1e-9), math.ceil((1 - allocation) * total - 1e-9)
        out[f"n_treatment{tag}"], out[f"n_control{tag}"] = nt, nc
        out[f"weeks{tag}"] = (math.ceil(nt / contacts_per_week) if contacts_per_week and contacts_per_week > 0
                              else float("nan"))
    # the smallest effect worth confirming: a campaign returning its contact cost twice (delta = break-even)
    small = z ** 2 * sigma ** 2 * (1 - rho ** 2) / (max(breakeven, 1e-9) ** 2 * allocation * (1 - allocation))
    out["n_treatment_cuped_at_twice_breakeven"] = math.ceil(allocation * small - 1e-9)
    out["contacts_per_week"] = float(contacts_per_week) if contacts_per_week else float("nan")
    return out
