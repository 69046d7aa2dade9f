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
doubly-robust estimate conditions on the look-back features. ``level_strata = 1`` is the plain stacked DiD.

The caveat (Daw & Hatfield 2018, "Matching and regression to the mean in difference-in-differences analysis",
Health Services Research 53(6)): matching on pre-period levels removes a bias only when selection acted on
those (noisy) levels. When treated and controls instead come from populations with different *lasting* levels
(members picked on a persistent trait), units matched at the same observed pre-period level are a lucky
control and an unlucky treated household, each regressing to its own population's mean after the start: the
matching creates the regression-to-the-mean bias the plain DiD did not have. Which case holds is a property
of the selection rule, not of the data; benchmarks/RESULTS.md measures both on planted campaigns.

Estimands (outcome ``y`` = weekly spend in $, or baskets, per household):

- dynamic effect ``beta_k`` for relative week ``k`` (coefficient of ``1[rel_week = k] x treated``, reference
  week -1): the treated-minus-control difference in week ``k`` minus the same difference in week -1. For
  ``k >= 0`` it is the average effect on the treated in week ``k`` of the campaign *if* treated and controls
  would have moved in parallel without it (parallel trends), pooled over trials with regression weights;
- pooled post-period ATT of one trial x stratum cell: coefficient of ``treated x post`` with the cell's own
  unit and week effects (one saturated regression, ``i(cell, post) | unit + cell^rel_week``), i.e. the cell's
  mean post-week difference minus its mean pre-week difference, in outcome units per week;
- per trial, overall and per pre-period segment ATT: the cell ATTs averaged with weights equal to each cell's
  share of the treated units (w'b), so strata and trials count as they do among the treated: the ATT (of the
  treated that have a control in their stratum; the others are listed in ``skipped``). One ``treated x post``
  coefficient with stratum x week effects would instead weight strata by n p (1 - p), the variance of
  treatment within the stratum (tests/test_event_study.py builds a case where the two differ). SE:
  sqrt(w'Vw), V the joint household-clustered (CRV1) covariance of the cell ATTs; equivalently the root sum of
  squares of each household's contribution ``w' bread s_h`` (``EventStudyResult.influence``), which the
  design-difference test (``difference.py``) resamples.

The dynamic effects and the pre-trend test below come from one regression with stratum x week effects, so they
weight strata by regression variance: they diagnose parallel trends, the cell ATTs are the estimate.

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
CELL_COLUMNS = ["trial", "stratum", "n_treated", "n_control", "n_units", "estimate", "std_error", "weight"]
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
class CellFit:
    """The stratum-cell DiDs of one saturated fit (``EventStudy._cell_fit``)."""

    cells: pd.DataFrame  # one row per stratum cell kept: by-columns, cell, stratum, n_treated, n_control, n_units
    b: np.ndarray  # the cells' DiD estimates, in the row order of ``cells``
    V: np.ndarray  # their joint household-clustered covariance (CRV1)
    scores: np.ndarray  # household x cell contributions with scores.T @ scores == V
    households: np.ndarray  # household id of each row of ``scores``
    skipped: list[str]


def _weights(cells: pd.DataFrame, group: str | None):
    """(key, weights over all cells, units) per ``group``: each cell's share of the group's treated units."""
    keys = cells[group] if group else pd.Series("all", index=cells.index)
    for key, idx in cells.groupby(keys).groups.items():
        idx = np.asarray(list(idx))
        w = np.zeros(len(cells))
        w[idx] = cells.loc[idx, "n_treated"] / cells.loc[idx, "n_treated"].sum()
        yield key, w, int(cells.loc[idx, "n_units"].sum())


def _household_scores(fit) -> tuple[np.ndarray, np.ndarray]:
    """Each household's contribution to the coefficient vector: bread x its summed scores, times the square root
    of pyfixest's small-sample factor, so that the contributions' cross-product is exactly the clustered
    covariance (CRV1 = ssc x bread x sum_h s_h s_h' x bread). A weighted sum of them is the household-level
    influence of a weighted average of the coefficients (the bootstrap of ``difference.py`` resamples it)."""
    from scipy import sparse

    hh = np.asarray(fit._cluster_df.iloc[:, 0])
    codes, households = pd.factorize(hh)
    member = sparse.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))),
                               shape=(len(households), len(codes)))
    summed = member @ np.asarray(fit._scores, float)
    ssc = float(np.ravel(fit._ssc)[0])
    return np.asarray(households), summed @ np.asarray(fit._bread) * np.sqrt(ssc)


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
    cells: pd.DataFrame | None = None  # CELL_COLUMNS: the trial x stratum DiDs and their weights in the overall ATT
    influence: pd.Series | None = None  # household id -> its contribution to the overall ATT (sum of squares = SE^2)

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
        units["band"] = units["lb"] * self.recent_strata + units["rb"]  # the stratum's number within its trial
        return data.assign(stratum=data["unit"].map(units["stratum"]), band=data["unit"].map(units["band"]))

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

    def _cell_fit(self, panel: pd.DataFrame, by: list[str]) -> CellFit:
        """One DiD per ``by`` cell x pre-period stratum (``treated x post`` per stratum cell, its own unit and
        week fixed effects), their joint clustered covariance and each household's score contribution."""
        data, counts, skipped = self._cells(panel, by)
        if counts.empty:
            return CellFit(counts, np.array([]), np.empty((0, 0)), np.empty((0, 0)), np.array([]), skipped)
        units = data.drop_duplicates("unit")
        strata = (units.groupby(["cell", "stratum"])["treated"].agg(n_treated="sum", n_units="size")
                  .reset_index().merge(counts[[*by, "cell"]], on="cell"))
        strata["n_control"] = strata["n_units"] - strata["n_treated"]
        # a stratum without treated units adds nothing to an effect on the treated; one without controls has no
        # comparison, so its treated are left out of the ATT (said in `skipped`)
        alone = strata[(strata["n_treated"] > 0) & (strata["n_control"] == 0)]
        for _, grp in alone.groupby("cell"):
            skipped.append(f"{_cell_name(grp.iloc[0], by)}: {grp['n_treated'].sum()} treated in {len(grp)} "
                           "pre-period spend strata without a control (left out of the ATT)")
        strata = strata[(strata["n_treated"] > 0) & (strata["n_control"] > 0)].reset_index(drop=True)
        if strata.empty:
            raise SegtargetError("event study: cannot estimate the ATT: no pre-period spend stratum has both "
                                 "treated and control units; try a smaller event_study.level_strata")
        strata["sub"] = np.arange(len(strata))
        data = data.merge(strata[["cell", "stratum", "sub"]], on=["cell", "stratum"], how="inner")
        data = data.assign(post=(data["treated"] * (data["rel_week"] >= 0)).astype(float))
        # saturated: every stratum cell has its own week effects, so each coefficient is that cell's own DiD and
        # the cells are weighted afterwards by their treated units (not by the regression's variance weights)
        fit = feols("y ~ i(sub, post) | unit + sub^rel_week", data, {"CRV1": "household_id"})
        coef, _, V = _coef_table(fit)
        subs = np.array([int(name.split("::")[1].split(":")[0]) for name in coef.index])
        lost = strata[~strata["sub"].isin(subs)]
        for _, grp in lost.groupby("cell"):  # pyfixest drops a cell whose post indicator its fixed effects absorb
            skipped.append(f"{_cell_name(grp.iloc[0], by)}: {grp['n_treated'].sum()} treated in {len(grp)} "
                           "strata with no pre-period week to compare with")
        households, scores = _household_scores(fit)
        return CellFit(strata.set_index("sub").loc[subs].reset_index(), coef.to_numpy(), V, scores, households,
                       skipped)

    @staticmethod
    def _aggregate(cf: CellFit, group: str | None, level: str) -> list:
        """Treated-weighted averages of the stratum-cell ATTs within each ``group`` (all cells when None)."""
        return [_row(level, key, "post_att", np.nan, w @ cf.b, np.sqrt(w @ cf.V @ w), n)
                for key, w, n in _weights(cf.cells, group)]

    def fit(self, panel: pd.DataFrame, segment: pd.Series | None = None) -> "EventStudy":
        """``segment`` (optional): one pre-period segment label per unit, indexed by ``panel.unit``."""
        data = self._strata(self._valid(panel))
        self.dynamic_, self.pretrend_ = self._dynamic(data)
        cf = self._cell_fit(data, ["trial"])
        if not len(cf.b):
            raise SegtargetError(f"event study: no trial has {self.min_units} treated and {self.min_units} control "
                                 "units; lower event_study.min_units or check the study design")
        skipped = list(cf.skipped)
        rows = self._aggregate(cf, None, "overall") + self._aggregate(cf, "trial", "trial")
        (_, w, _), = _weights(cf.cells, None)
        influence = pd.Series(cf.scores @ w, index=cf.households, name="influence")
        band = data.drop_duplicates("stratum").set_index("stratum")["band"]
        cells = cf.cells.assign(stratum=cf.cells["stratum"].map(band), estimate=cf.b,
                                std_error=np.sqrt(np.diag(cf.V)), weight=w)
        if segment is not None:
            seg = data.assign(segment=data["unit"].map(segment).astype(str))
            sf = self._cell_fit(seg, ["trial", "segment"])
            rows += self._aggregate(sf, "segment", "segment") if len(sf.b) else []
            skipped += sf.skipped
        self.pooled_ = pd.DataFrame(rows, columns=ES_COLUMNS)
        self.result_ = EventStudyResult(outcome=self.outcome, dynamic=self.dynamic_[ES_COLUMNS],
                                        pretrend=self.pretrend_, pooled=self.pooled_,
                                        n_units=int(data["unit"].nunique()),
                                        n_households=int(data["household_id"].nunique()), skipped=tuple(skipped),
                                        cells=cells[CELL_COLUMNS], influence=influence)
        return self
