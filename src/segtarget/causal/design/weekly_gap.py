"""The weekly adjusted gap per trial: the signature of how the retailer picked its members.

For every trial and every week relative to its start (from the backcast window before the look-back to the
end of the outcome window), the treated-minus-control difference in that week's spend after a linear
adjustment for the trial's look-back covariates (OLS of the week's spend on [1, T, X], heteroskedasticity-robust
SE; within a trial a household is one unit). Inside the look-back the gap is near 0 by construction (the
covariates summarise those very weeks) and the rows say so. Outside it the shape tells the selection apart:

* a gap before the look-back that runs on, with no break at the start, into the outcome window: a
  **persistent household trait** the look-back sees only through noise (the look-back adjustment is biased);
* no gap before the look-back, a dip right after the start as the picked households' recent spike fades:
  **selection on a recent spike** (the look-back adjustment handles it; a plain DiD would not);
* a step at the start only: what a campaign effect looks like.

A diagnostic: the verdict reads the design gate (:mod:`.gate`), whose tests are the formal version of the
first two patterns.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from ...data.db import exact_sum, first_row
from ...stats import Z95

COLUMNS = ["trial", "rel_week", "gap", "std_error", "ci_lower", "ci_upper", "n_treated", "n", "window"]


def _weekly_spend(con, data: pd.DataFrame, windows: pd.DataFrame, first_week: int, last_week: int) -> np.ndarray:
    """(units x weeks) spend of each unit in weeks first_week .. last_week relative to its trial start."""
    u = data[["household_id", "index_campaign"]].reset_index(drop=True).assign(_row=lambda d: np.arange(len(d)))
    u = u.merge(windows[["index_campaign", "start_date"]], on="index_campaign", how="left").sort_values("_row")
    u["start_date"] = pd.to_datetime(u["start_date"]).dt.date
    # the window bounds are computed here so the one SQL string also runs on Spark (no interval arithmetic)
    u["lo"] = [s + timedelta(weeks=first_week) for s in u["start_date"]]
    u["hi"] = [s + timedelta(weeks=last_week + 1) for s in u["start_date"]]
    con.register("gap_units_df", u[["_row", "household_id", "start_date", "lo", "hi"]])
    try:
        got = con.execute(f"""SELECT u._row, CAST(floor(date_diff('day', u.start_date, t.date) / 7) AS INTEGER) AS w,
                {exact_sum('t.sales_value')} AS y
            FROM gap_units_df u JOIN clean_transactions t ON t.household_id = u.household_id
             AND t.date >= u.lo AND t.date < u.hi
            GROUP BY u._row, w""").df()
    finally:
        con.unregister("gap_units_df")
    Y = np.zeros((len(u), last_week - first_week + 1))
    Y[got["_row"].to_numpy(), got["w"].to_numpy() - first_week] = got["y"].to_numpy(float)
    return Y


def adjusted_gaps(Y: np.ndarray, T: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(gap, robust SE) of T in OLS of each column of ``Y`` on [1, T, X] (one least-squares solve for all)."""
    X = X[:, X.std(axis=0) > 0]
    A = np.column_stack([np.ones(len(T)), T.astype(float), X])
    pinv = np.linalg.pinv(A)  # rows: coefficients; row 1 is the weight vector of T's coefficient
    beta = pinv @ Y
    resid = Y - A @ beta
    n, k = A.shape
    se = np.sqrt((pinv[1][:, None] ** 2 * resid ** 2).sum(axis=0) * n / max(n - k, 1))  # HC1
    return beta[1], se


def weekly_gap(tables, cohort, backcast_weeks: int = 12) -> pd.DataFrame:
    """One row per trial and week (``COLUMNS``); ``window`` is backcast / look-back / outcome."""
    d = cohort.data.reset_index(drop=True)
    data_start = first_row(tables.con, "SELECT min(date) FROM clean_transactions")[0]
    w = cohort.windows.copy()
    lookback = int(round(cohort.lookback_weeks))
    post = int(np.ceil(d["outcome_weeks"].max())) if "outcome_weeks" in d else 8
    first = -(lookback + backcast_weeks)
    Y = _weekly_spend(tables.con, d, w, first, post - 1)
    X = d[list(cohort.covariates)].to_numpy(float)
    T = d["treated"].to_numpy(int)
    rows = []
    for r in w.itertuples():
        m = d["index_campaign"].to_numpy() == r.index_campaign
        if T[m].sum() < 2 or (T[m] == 0).sum() < 2:
            continue
        start = pd.Timestamp(r.start_date).date()
        lb_weeks = (start - pd.Timestamp(r.lookback_start).date()).days / 7
        out_weeks = float(np.ceil(d.loc[m, "outcome_weeks"].max())) if "outcome_weeks" in d else post
        gap, se = adjusted_gaps(Y[m], T[m], X[m])
        for j, week in enumerate(range(first, post)):
            # weeks before the data start or after the trial's own window are not observed for this trial
            if start + timedelta(weeks=week) < data_start or week >= out_weeks:
                continue
            window = "outcome" if week >= 0 else "look-back" if -week <= lb_weeks else "backcast"
            rows.append({"trial": str(r.index_campaign), "rel_week": week, "gap": gap[j], "std_error": se[j],
                         "ci_lower": gap[j] - Z95 * se[j], "ci_upper": gap[j] + Z95 * se[j],
                         "n_treated": int(T[m].sum()), "n": int(m.sum()), "window": window})
    return pd.DataFrame(rows, columns=COLUMNS)


def gap_figure(gaps: pd.DataFrame):
    """One panel per trial: the weekly adjusted gap with its 95% band, the look-back shaded."""
    from ...plotting import pyplot

    plt = pyplot()
    trials = list(dict.fromkeys(gaps["trial"]))
    fig, axes = plt.subplots(1, max(len(trials), 1), figsize=(3.2 * max(len(trials), 1), 2.8), sharey=True,
                             squeeze=False)
    for ax, trial in zip(axes[0], trials):
        g = gaps[gaps["trial"] == trial]
        ax.fill_between(g["rel_week"], g["ci_lower"], g["ci_upper"], alpha=0.25, color="tab:blue")
        ax.plot(g["rel_week"], g["gap"], color="tab:blue", lw=1.4)
        lb = g[g["window"] == "look-back"]["rel_week"]
        if len(lb):
            ax.axvspan(lb.min() - 0.5, lb.max() + 0.5, color="0.85", zorder=0)
        ax.axhline(0, color="0.3", lw=0.8)
        ax.axvline(-0.5, color="tab:red", lw=0.8, ls="--")
        ax.set_title(f"trial {trial}", fontsize=9)
        ax.set_xlabel("week from start", fontsize=8)
    axes[0][0].set_ylabel("adjusted gap, $ / week", fontsize=8)
    fig.suptitle("Weekly treated - control spend after adjusting for the look-back (grey: adjusted by construction)",
                 fontsize=9, y=1.02)
    fig.tight_layout()
    return fig
