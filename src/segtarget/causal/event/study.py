"""Stacked event study (stacked difference-in-differences) on the weekly panel of the target trials.

Design. Each target trial (one Type A campaign) is a small experiment-like comparison: its treated members
against its eligible not-yet-treated controls, observed week by week from ``pre_weeks`` before the start to
the end of each unit's own outcome window (``panel.py``). The trials are stacked (Cengiz, Dube, Lindner &
Zipperer 2019; Wing, Freedman & Hollingsworth 2024): every regression has a *unit* fixed effect (one unit =
one household in one trial) and a *trial x stratum x week* fixed effect, so a treated household is only ever
compared with the controls of its own trial, in the same week, that spent about as much as it did before the
start (``level_strata`` equal-count bins of the unit's mean weekly outcome over its pre weeks, within the trial;
optionally ``recent_strata`` bins of its last ``recent_weeks`` pre weeks within those). A household that is a
control in several trials is several units.

Why strata: the retailer picks households on their recent spend. Spend = a lasting level + weekly noise, so
households picked for a high look-back spend are partly picked for good luck and spend less afterwards
whatever the campaign does (regression to the mean, Ashenfelter's dip). A plain DiD reads that fall as a
negative effect, and its pre-trend test cannot see it because the selection happened inside the pre-period
(tests/test_event_study.py shows both). Within a stratum treated and controls had the same pre-period mean,
so both regress alike: the DiD assumes parallel trends *conditional on pre-period spend*, as the
doubly-robust estimate conditions on the look-back features. ``level_strata = 1`` is the plain stacked DiD. Standard errors are clustered by household (CRV1, pyfixest), which covers the
repeated weeks of one unit and the several units of one household.

Estimands (outcome ``y`` = weekly spend in $, or baskets, per household):

- dynamic effect ``beta_k`` for relative week ``k`` (coefficient of ``1[rel_week = k] x treated``, reference
  week -1): the treated-minus-control difference in week ``k`` minus the same difference in week -1. For
  ``k >= 0`` it is the average effect on the treated in week ``k`` of the campaign *if* treated and controls
  would have moved in parallel without it (parallel trends), pooled over trials with regression weights;
- pooled post-period ATT per trial: coefficient of ``treated x post`` in the same design with all pre weeks as
  the baseline (mean post-week difference minus mean pre-week difference), in outcome units per week;
- overall (and per pre-period segment) ATT: the per-trial (per trial x segment) ATTs averaged with weights
  equal to each cell's share of treated units, SE from the joint clustered covariance of the cells
  (w'b, sqrt(w'Vw)), i.e. the treated-weighted ATT of Wing et al., not the implicit variance weighting of one
  pooled coefficient.

Pre-trend test: a joint Wald test that every pre-period ``beta_k`` (k < -1) is zero, clustered covariance,
chi-square with one degree of freedom per pre week. A small p-value says treated and controls already
diverged before the campaign (selection on a recent spike, anticipation, or a bad control group), so the
post-period differences cannot be read as effects. A large p-value does NOT prove parallel trends: the test
has low power against slow drifts, and it says nothing about shocks that start with the campaign itself
(Roth 2022, "Pretest with caution"), nor (without strata) selection on the pre-period level (above). With
``recent_strata > 1`` units are matched on pre-period weeks, so the test partly checks the matching itself
and rejects more often than its nominal size. Read it together with the dynamic plot.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ...errors import SegtargetError
from ...stats import Z95

OUTCOMES = ("spend", "baskets")
ES_COLUMNS = ["level", "group", "term", "rel_week", "estimate", "std_error", "ci_lower", "ci_upper", "p_value",
              "n"]


def feols(formula: str, data: pd.DataFrame, vcov):
    """The one pyfixest call of this module (tests check it against a textbook number).

    BLAS runs single-threaded here: the design matrices are narrow (one column per week or trial), and on a
    busy 2-core machine a multi-threaded X'X is several times slower than one thread."""
    import pyfixest as pf
    from threadpoolctl import threadpool_limits

    try:
        with threadpool_limits(1, user_api="blas"), warnings.catch_warnings():
            # Singleton groups carry no within-group comparison and a cell absorbed by its fixed effects is
            # reported in `skipped`: neither needs a console warning in the middle of a run.
            warnings.filterwarnings("ignore", message="(?s).*singleton fixed effect", category=UserWarning)
            warnings.filterwarnings("ignore", message="(?s).*dropped due to multicollinearity", category=UserWarning)
            return pf.feols(formula, data=data, vcov=vcov)
    except ValueError as exc:  # e.g. the fixed effects absorb every treated-control comparison
        reason = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        raise SegtargetError(f"event study: cannot estimate {formula.split('|')[0].strip()!r} ({reason}); each "
                             "trial needs treated and control units in the same pre-period spend strata, with "
                             "weeks before and after the start (try a smaller event_study.level_strata)") from None


def _coef_table(fit) -> tuple[pd.Series, pd.Series, np.ndarray]:
    # pyfixest keeps the covariance of the kept coefficients in `_vcov`, ordered as `coef()`.
    return fit.coef(), fit.se(), np.asarray(fit._vcov)


def _bins(units: pd.DataFrame, by: list[str], col: str, q: int) -> pd.Series:
    """Equal-count bins 0..q-1 of ``col`` within ``by`` (ties broken by unit order, so deterministic)."""
    if q <= 1:
        return pd.Series(0, index=units.index)
    rank = units.groupby(by)[col].rank(method="first") - 1
    n = units.groupby(by)[col].transform("size")
    return np.minimum(np.floor(rank * q / n), q - 1).astype(int)


def _cell_name(row: pd.Series, by: list[str]) -> str:
    return " / ".join(f"{col} {row[col]}" for col in by)  # "trial 18" or "trial 8 / segment Loyal"


def _row(level, group, term, rel_week, est, se, n) -> dict:
    p = float(2 * stats.norm.sf(abs(est / se))) if se > 0 else np.nan
    return {"level": level, "group": str(group), "term": term, "rel_week": rel_week, "estimate": float(est),
            "std_error": float(se), "ci_lower": float(est - Z95 * se), "ci_upper": float(est + Z95 * se),
            "p_value": p, "n": int(n)}


@dataclass(frozen=True)
class EventStudyResult:
    """Dynamic effects, pre-trend test and pooled ATTs of one stacked event study."""

    outcome: str
    dynamic: pd.DataFrame  # ES_COLUMNS, term = "dynamic", one row per relative week (reference: 0, SE 0)
    pretrend: dict  # stat, df, p_value, weeks
    pooled: pd.DataFrame  # ES_COLUMNS, term = "post_att", level = overall | trial | segment
    n_units: int
    n_households: int
    skipped: tuple[str, ...] = ()  # one line per trial / cell left out and why

    @property
    def overall(self) -> dict:
        return self.pooled[self.pooled["level"] == "overall"].iloc[0].to_dict()

    def summary_frame(self) -> pd.DataFrame:
        """``tables/event_study.csv``: dynamic rows, the pre-trend test row, then pooled post-period ATTs."""
        test = {"level": "pooled", "group": "all", "term": "pretrend_wald", "rel_week": np.nan,
                "estimate": self.pretrend["stat"], "std_error": np.nan, "ci_lower": np.nan, "ci_upper": np.nan,
                "p_value": self.pretrend["p_value"], "n": self.pretrend["df"]}
        return pd.concat([self.dynamic, pd.DataFrame([test]), self.pooled], ignore_index=True)[ES_COLUMNS]


class EventStudy:
    """Stacked event study on a ``panel.build_panel`` frame (module docstring: estimands and the pre-test).

    Parameters: ``outcome`` (``spend`` | ``baskets``), ``ref_week`` (the normalised week, -1),
    ``min_units`` (treated and controls a trial or trial x segment cell needs to enter the pooled ATTs),
    ``level_strata`` / ``recent_strata`` / ``recent_weeks`` (pre-period strata, module docstring; 1 = none).
    """

    def __init__(self, outcome: str = "spend", ref_week: int = -1, min_units: int = 10, level_strata: int = 10,
                 recent_strata: int = 1, recent_weeks: int = 4):
        self.outcome = outcome
        self.ref_week = ref_week
        self.min_units = min_units
        self.level_strata = level_strata
        self.recent_strata = recent_strata
        self.recent_weeks = recent_weeks

    def _strata(self, data: pd.DataFrame) -> pd.DataFrame:
        """Pre-period spend strata per unit (``stratum``), nested in its trial (module docstring: why)."""
        units = data.drop_duplicates("unit")[["unit", "trial"]].set_index("unit")
        pre = data[data["rel_week"] < 0]
        units["level"] = pre.groupby("unit")["y"].mean().reindex(units.index).fillna(0.0)
        recent = pre[pre["rel_week"] >= -self.recent_weeks]
        units["recent"] = recent.groupby("unit")["y"].mean().reindex(units.index).fillna(0.0)
        units["lb"] = _bins(units, ["trial"], "level", self.level_strata)
        units["rb"] = _bins(units, ["trial", "lb"], "recent", self.recent_strata)
        units["stratum"] = units.groupby(["trial", "lb", "rb"]).ngroup()
        return data.assign(stratum=data["unit"].map(units["stratum"]))

    def _valid(self, panel: pd.DataFrame) -> pd.DataFrame:
        if self.outcome not in OUTCOMES:
            raise SegtargetError(f"config event_study.outcome={self.outcome!r}: use one of {', '.join(OUTCOMES)}")
        if panel.empty or panel["treated"].nunique() < 2:
            raise SegtargetError("event study: the panel needs treated and control units; check the study design")
        if not (panel["rel_week"] == self.ref_week).any() or not (panel["rel_week"] >= 0).any():
            raise SegtargetError(f"event study: no unit is observed in the reference week {self.ref_week} and after "
                                 "the start; raise event_study.pre_weeks or check the campaign dates")
        return panel.rename(columns={self.outcome: "y"})

    def _cells(self, panel: pd.DataFrame, by: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
        """Keep the cells (trial or trial x segment) with enough treated and control units."""
        units = panel.drop_duplicates("unit")
        counts = units.groupby(by)["treated"].agg(n_treated="sum", n_units="size").reset_index()
        counts["n_control"] = counts["n_units"] - counts["n_treated"]
        ok = (counts["n_treated"] >= self.min_units) & (counts["n_control"] >= self.min_units)
        skipped = [f"{_cell_name(r, by)}: {r.n_treated} treated, {r.n_control} controls "
                   f"(< event_study.min_units={self.min_units})" for _, r in counts[~ok].iterrows()]
        counts = counts[ok].reset_index(drop=True)
        counts["cell"] = np.arange(len(counts))
        return panel.merge(counts[[*by, "cell"]], on=by, how="inner"), counts, skipped

    def _dynamic(self, panel: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
        fit = feols(f"y ~ i(rel_week, treated, ref={self.ref_week}) | unit + stratum^rel_week", panel,
                    {"CRV1": "household_id"})
        coef, se, V = _coef_table(fit)
        weeks = np.array([int(name.split("::")[1].split(":")[0]) for name in coef.index])
        n_by_week = panel[panel["treated"] == 1].groupby("rel_week")["unit"].nunique()
        rows = [_row("pooled", "all", "dynamic", int(k), coef.iloc[i], se.iloc[i], n_by_week.get(k, 0))
                for i, k in enumerate(weeks)]
        rows.append(_row("pooled", "all", "dynamic", self.ref_week, 0.0, 0.0, n_by_week.get(self.ref_week, 0)))
        dyn = pd.DataFrame(rows).sort_values("rel_week").reset_index(drop=True)
        pre = np.flatnonzero(weeks < self.ref_week)
        if len(pre):
            b = coef.to_numpy()[pre]
            stat = float(b @ np.linalg.solve(V[np.ix_(pre, pre)], b))
            test = {"stat": stat, "df": len(pre), "p_value": float(stats.chi2.sf(stat, len(pre))),
                    "weeks": f"{weeks[pre].min()}..{weeks[pre].max()}"}
        else:
            test = {"stat": np.nan, "df": 0, "p_value": np.nan, "weeks": "none"}
        return dyn, test

    def _cell_fit(self, panel: pd.DataFrame, by: list[str]):
        """Per-cell post-period ATTs (``treated x post`` per cell) and their joint clustered covariance."""
        data, counts, skipped = self._cells(panel, by)
        if counts.empty:
            return counts, np.array([]), np.empty((0, 0)), skipped
        # comparisons stay inside a cell (trial or trial x segment) and inside a pre-period stratum
        data = data.assign(post=(data["treated"] * (data["rel_week"] >= 0)).astype(float),
                           group=data.groupby(["cell", "stratum"]).ngroup())
        fit = feols("y ~ i(cell, post) | unit + group^rel_week", data, {"CRV1": "household_id"})
        coef, _, V = _coef_table(fit)
        cells = np.array([int(name.split("::")[1].split(":")[0]) for name in coef.index])
        # pyfixest drops a cell whose post indicator its fixed effects absorb (no pre week left to compare)
        lost = counts[~counts["cell"].isin(cells)]
        skipped += [f"{_cell_name(r, by)}: no pre-period week to compare with" for _, r in lost.iterrows()]
        return counts.set_index("cell").loc[cells].reset_index(), coef.to_numpy(), V, skipped

    @staticmethod
    def _aggregate(counts: pd.DataFrame, b: np.ndarray, V: np.ndarray, group: str | None, level: str) -> list:
        """Treated-weighted averages of the cell ATTs within each ``group`` (all cells when None)."""
        rows = []
        keys = counts[group] if group else pd.Series("all", index=counts.index)
        for key, idx in counts.groupby(keys).groups.items():
            idx = np.asarray(list(idx))
            w = np.zeros(len(b))
            w[idx] = counts.loc[idx, "n_treated"] / counts.loc[idx, "n_treated"].sum()
            rows.append(_row(level, key, "post_att", np.nan, w @ b, np.sqrt(w @ V @ w),
                             counts.loc[idx, "n_units"].sum()))
        return rows

    def fit(self, panel: pd.DataFrame, segment: pd.Series | None = None) -> "EventStudy":
        """``segment`` (optional): one pre-period segment label per unit, indexed by ``panel.unit``."""
        data = self._strata(self._valid(panel))
        self.dynamic_, self.pretrend_ = self._dynamic(data)
        counts, b, V, skipped = self._cell_fit(data, ["trial"])
        if counts.empty:
            raise SegtargetError(f"event study: no trial has {self.min_units} treated and {self.min_units} control "
                                 "units; lower event_study.min_units or check the study design")
        rows = self._aggregate(counts, b, V, None, "overall") + self._aggregate(counts, b, V, "trial", "trial")
        if segment is not None:
            seg = data.assign(segment=data["unit"].map(segment).astype(str))
            counts, b, V, seg_skipped = self._cell_fit(seg, ["trial", "segment"])
            rows += self._aggregate(counts, b, V, "segment", "segment") if len(b) else []
            skipped += seg_skipped
        self.pooled_ = pd.DataFrame(rows, columns=ES_COLUMNS)
        self.result_ = EventStudyResult(outcome=self.outcome, dynamic=self.dynamic_[ES_COLUMNS],
                                        pretrend=self.pretrend_, pooled=self.pooled_,
                                        n_units=int(data["unit"].nunique()),
                                        n_households=int(data["household_id"].nunique()), skipped=tuple(skipped))
        return self
