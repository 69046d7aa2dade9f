"""Design of the confirmatory A/B test and the exploration assignment for the next campaign.

**Sample size.** For a two-sided test at level alpha with power 1 - beta, a share p of the test households
treated, outcome standard deviation sigma and minimum detectable effect delta (difference in mean outcome),
the total size is N = (z_{1-alpha/2} + z_{1-beta})^2 sigma^2 / (delta^2 p (1 - p)); the arms get
ceil(p N) and ceil((1 - p) N). With p = 1/2 this is the familiar 2 ((z_a + z_b) sigma / delta)^2 per arm.
Conversely the effect detectable with N households is delta = (z_a + z_b) sigma / sqrt(N p (1 - p)).

**CUPED.** Adjusting the outcome by a pre-period covariate X, Y' = Y - theta (X - mean X) with
theta = cov(Y, X) / var(X), leaves the treatment contrast unbiased under randomisation and multiplies the
outcome variance by (1 - rho^2), rho = corr(Y, X); the required sample shrinks by the same factor. rho is
measured on the cohort, with pre-period spend per week as X.

**Decision test** (:func:`decision_test`). The outcome of a test household is its profit in the campaign
window, P = m x sales - retailer-funded discount - c x contacted, so its treatment contrast is the profit
effect per contacted household, m x (sales effect) - (caused discount) - c. H0 "profit effect <= 0" is
"sales effect <= (c + caused discount) / m", the break-even *including* the discount the campaign causes;
the test is one-sided at level alpha. Its sigma and CUPED rho come from the cohort's control units (outcomes
no campaign moved), with each household counted once: a test randomises households and sees one campaign
window per household, while a control household can sit in several stacked trials, so its units get weight
1 / (its number of control units). The plan is sized for the headline estimate's profit effect when it is
positive, else for the planning effect; power at an effect d with n_t contacted and n_c control households
is Phi(d / (sigma sqrt(1/n_t + 1/n_c)) - z_{1-alpha}), and the profit effect a test of N households can detect
is (z_{1-alpha} + z_power) sigma sqrt(1/n_t + 1/n_c). :func:`plan_sentence` states the plan in words from
exactly these numbers.

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
from ..report.format import money


def _z_total(alpha: float, power: float) -> float:
    return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))


def _z_one(alpha: float, power: float) -> float:
    return float(stats.norm.ppf(1 - alpha) + stats.norm.ppf(power))


def sample_size(mde: float, sigma: float, *, alpha: float = 0.05, power: float = 0.80,
                allocation: float = 0.5, one_sided: bool = False) -> tuple[int, int]:
    """(n_treatment, n_control) needed to detect ``mde`` (see module docstring)."""
    require(mde > 0, f"A/B design: the minimum detectable effect must be > 0, got {mde}")
    require(sigma > 0, "A/B design: the outcome has zero standard deviation; nothing to test")
    z = (_z_one if one_sided else _z_total)(alpha, power)
    total = z ** 2 * sigma ** 2 / (mde ** 2 * allocation * (1 - allocation))
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




# The plan analyses with CUPED when the pre-period covariate removes at least this share of the profit
# outcome's variance; below it the estimated theta buys nothing worth an extra step in the readout.
CUPED_MIN_REDUCTION = 0.01


def household_moments(y, x=None, households=None) -> tuple[float, float, int]:
    """(sd of y, corr(y, x), households) with each household counted once (its units weighted 1 / k).

    A test randomises households and observes one window per household; a household with k units in the
    stacked trials would otherwise count k times. ``x`` None gives rho 0; ``households`` None = one per unit."""
    y = np.asarray(y, float)
    hh = np.arange(len(y)) if households is None else np.asarray(households)
    _, inv, k = np.unique(hh, return_inverse=True, return_counts=True)
    w = 1.0 / k[inv]
    n_hh = len(k)
    require(n_hh > 1, "A/B design: need control units from at least 2 households to size the test")
    dy = y - np.average(y, weights=w)
    var_y = float(np.sum(w * dy ** 2) / (n_hh - 1))
    rho = 0.0
    if x is not None:
        x = np.asarray(x, float)
        dx = x - np.average(x, weights=w)
        var_x = float(np.sum(w * dx ** 2) / (n_hh - 1))
        if var_x > 0 and var_y > 0:
            rho = float(np.sum(w * dy * dx) / (n_hh - 1) / math.sqrt(var_x * var_y))
    return math.sqrt(var_y), rho, n_hh


def power_at(effect: float, sigma: float, n_treatment: int, n_control: int, *, alpha: float) -> float:
    """One-sided power of the difference in means at ``effect``: Phi(effect / se - z_{1-alpha})."""
    if n_treatment <= 0 or n_control <= 0:
        return float("nan")
    se = sigma * math.sqrt(1 / n_treatment + 1 / n_control)
    return float(stats.norm.cdf(effect / se - stats.norm.ppf(1 - alpha)))


def _arms(n_total: int, allocation: float) -> tuple[int, int]:
    nt = int(round(allocation * n_total))
    return nt, n_total - nt


def _known(x) -> bool:
    return x is not None and bool(np.isfinite(x))


# Quantities the data cannot give (no contact pace, no campaign tables, an effect that does not pay) are None,
# not NaN, so two plans from the same inputs compare equal.
def _weeks(n_treatment: float | None, contacts_per_week: float | None) -> float | None:
    return (float(math.ceil(n_treatment / contacts_per_week)) if _known(contacts_per_week) and contacts_per_week > 0
            and _known(n_treatment) else None)


def decision_test(y_control, pre_control=None, *, margin: float, cost: float, caused_discount: float,
                  headline_sales: float, planning_sales: float, discount_control=None, households=None,
                  alpha: float = 0.05, power: float = 0.80, allocation: float = 0.5,
                  contacts_per_week: float | None = None, eligible: int | None = None,
                  panel: int | None = None, planning_basis: str = "") -> dict:
    """The test that settles the decision, sized on the profit outcome (module docstring, "Decision test").

    ``y_control`` / ``discount_control``: sales and retailer-funded discount of the cohort's control units
    (window dollars), ``households`` their household ids, ``pre_control`` pre-period spend per week (CUPED).
    ``headline_sales`` / ``caused_discount``: the estimated mean sales effect and caused discount per contact;
    ``planning_sales``: the planning sales effect. ``eligible``: current households with no Type A mailer
    yet (whom the trials speak for); ``panel``: every household of the data. ``contacts_per_week``: Type A
    households the retailer contacted per week, turning a contacted arm into weeks of campaigning.
    Returns one flat dict (``ab_decision_test.csv``); :func:`plan_sentence` and :func:`power_table` read it.
    """
    require(margin > 0, f"A/B design: margin must be > 0, got {margin}")
    y = np.asarray(y_control, float)
    d = np.zeros(len(y)) if discount_control is None else np.asarray(discount_control, float)
    profit = margin * y - d  # the contact cost is a constant of the contacted arm: no variance
    sigma, rho, n_hh = household_moments(profit, pre_control, households)
    require(sigma > 0, "A/B design: the control units' profit outcome has zero variance; nothing to size")
    cuped = pre_control is not None and rho ** 2 >= CUPED_MIN_REDUCTION
    sd = sigma * math.sqrt(1 - rho ** 2) if cuped else sigma
    be_d = (cost + caused_discount) / margin
    head = margin * headline_sales - caused_discount - cost
    plan = margin * planning_sales - caused_discount - cost
    require(plan > 0, f"A/B design: the planning sales effect {money(planning_sales, 2)} is not above the "
                      f"break-even {money(be_d, 2)}; set policy.mde > 0")
    sized_for, sized = ("headline estimate", head) if head > 0 else ("planning effect", plan)
    kw = dict(alpha=alpha, power=power, allocation=allocation, one_sided=True)
    out = {"test": f"one-sided: profit per contacted household > $0 (sales effect > {money(be_d, 2)})",
           "outcome": "margin x sales - retailer-funded discount - contact cost if contacted, per household",
           "margin": margin, "cost": cost, "caused_discount": caused_discount, "breakeven": cost / margin,
           "breakeven_with_discount": be_d, "alpha_one_sided": alpha, "power": power, "allocation": allocation,
           "n_control_units": len(y), "n_control_households": n_hh, "sigma_profit": sigma, "cuped_rho": rho,
           "cuped": bool(cuped), "sigma_analysed": sd,
           "headline_sales_effect": headline_sales, "headline_profit_effect": head,
           "planning_sales_effect": planning_sales, "planning_profit_effect": plan, "planning_basis": planning_basis,
           "sized_for": sized_for, "sized_profit_effect": sized}
    out["n_treatment"], out["n_control"] = sample_size(sized, sd, **kw)
    out["n_treatment_plain"], out["n_control_plain"] = sample_size(sized, sigma, **kw)
    out["weeks"] = _weeks(out["n_treatment"], contacts_per_week)
    for tag, eff in (("headline", head), ("planning", plan)):
        nt, nc = sample_size(eff, sd, **kw) if eff > 0 else (None, None)
        out[f"n_treatment_{tag}"], out[f"n_control_{tag}"] = nt, nc
    for pop, n in (("eligible", eligible), ("panel", panel)):
        known = n is not None and n > 1
        nt, nc = _arms(int(n), allocation) if known else (0, 0)
        out[f"{pop}_households"] = int(n) if known else None
        out[f"n_treatment_{pop}"], out[f"weeks_{pop}"] = (nt, _weeks(nt, contacts_per_week)) if known else (None, None)
        for tag, eff in (("headline", head), ("planning", plan)):
            out[f"power_{tag}_{pop}"] = power_at(eff, sd, nt, nc, alpha=alpha) if known else None
        mde = _z_one(alpha, power) * sd * math.sqrt(1 / nt + 1 / nc) if known else None
        out[f"mde_profit_{pop}"], out[f"mde_sales_{pop}"] = mde, be_d + mde / margin if known else None
    n_eligible = out["eligible_households"]
    out["feasible"] = bool(n_eligible is None or out["n_treatment"] + out["n_control"] <= n_eligible)
    out["contacts_per_week"] = float(contacts_per_week) if _known(contacts_per_week) else None
    return out


def plan_sentence(ab: dict) -> str:
    """The decision test in one sentence (lower-case start, full stop), every number read from ``ab``."""
    how = "with CUPED" if ab["cuped"] else "by difference in means"
    if ab["sized_for"] == "headline estimate":
        what = f"the estimated profit of {money(ab['sized_profit_effect'], 2)} per contact"
    else:
        what = (f"a profit of {money(ab['sized_profit_effect'], 2)} per contact (the planning effect; the estimate, "
                f"{money(ab['headline_profit_effect'], 2)}, does not pay)")
    text = (f"a randomised test of 'profit per contact > $0' (a sales effect above "
            f"{money(ab['breakeven_with_discount'], 2)}, the break-even including the estimated "
            f"{money(ab['caused_discount'], 2)} caused discount) needs {ab['n_treatment']:,} contacted + "
            f"{ab['n_control']:,} control households {how} to detect {what} with {ab['power']:.0%} power")
    pace = lambda w: f", about {w:,.0f} weeks at the retailer's campaign pace" if _known(w) else ""  # noqa: E731
    eligible = ab.get("eligible_households")
    if not _known(eligible):
        return text + pace(ab["weeks"]) + "."
    who = f"{eligible:,.0f} eligible households (current, no earlier Type A mailer)"
    if ab["feasible"]:
        return text + pace(ab["weeks"]) + f", within the {who}."
    tag = "headline" if ab["sized_for"] == "headline estimate" else "planning"
    return (text + f": more than the {who}. A test of all of them ({ab['n_treatment_eligible']:,} contacted"
            f"{pace(ab['weeks_eligible'])}) has {ab[f'power_{tag}_eligible']:.0%} power at that effect and can "
            f"detect only {money(ab['mde_profit_eligible'], 2)} profit ({money(ab['mde_sales_eligible'], 2)} "
            "sales) per contact.")


def power_table(ab: dict) -> pd.DataFrame:
    """Power of the decision test at each named effect: households per arm it needs, and its power with
    every eligible household and with every household of the panel (``ab_design.csv``)."""
    alpha, sd, m, be_d = ab["alpha_one_sided"], ab["sigma_analysed"], ab["margin"], ab["breakeven_with_discount"]
    effects = [("break-even (incl. caused discount)", 0.0), ("headline estimate", ab["headline_profit_effect"]),
               (f"planning effect ({ab['planning_basis']})" if ab["planning_basis"] else "planning effect",
                ab["planning_profit_effect"]),
               ("detectable with the eligible households", ab["mde_profit_eligible"]),
               ("detectable with the panel's households", ab["mde_profit_panel"])]
    rows = []
    for name, eff in effects:
        if not _known(eff):
            continue
        nt, nc = (sample_size(eff, sd, alpha=alpha, power=ab["power"], allocation=ab["allocation"], one_sided=True)
                  if eff > 0 else (None, None))
        row = {"effect": name, "profit_effect": eff, "sales_effect": be_d + eff / m, "n_treatment_needed": nt,
               "n_control_needed": nc}
        for pop in ("eligible", "panel"):
            n = ab[f"{pop}_households"]
            row[f"households_{pop}"] = n
            row[f"power_{pop}"] = power_at(eff, sd, *_arms(n, ab["allocation"]), alpha=alpha) if _known(n) else None
        rows.append(row)
    return pd.DataFrame(rows)
