"""Does the event study's pooled CI cover a planted truth on the real transactions?

`causal.planted` replaces the Type A memberships of the embedded data by planted ones (picked on past spend
and a recent spike) and multiplies members' sales on the campaign dates by 1 + lift. Units follow the
campaign-trials rule: for every planted campaign, its eligible households (planted.eligible), treated = its
members, controls = eligible non-members including households planted into a *later* campaign, whose window
ends the day before that campaign starts. Outcome window = start .. end + 4 weeks (data end at most).

Truth per treated unit and week: tau_sales over the unit's complete post weeks (true_effects with the window
cut at the end of the last complete week) / number of those weeks; per trial the mean over treated units,
overall the treated-weighted mean (the event study's estimand).

Each row also gives the former estimator ("variance-weighted": one ``treated x post`` coefficient per trial
with trial x stratum x week effects, strata weighted by regression variance within the trial, trials by treated
units) beside the current one (one DiD per trial x stratum, weighted by treated units).

    PYTHONPATH=src python benchmarks/event_study_planted.py [--seeds 0 1 2] [--spike 0.75]
    # selection on a persistent household trait only (Daw & Hatfield's case against matching on levels):
    PYTHONPATH=src python benchmarks/event_study_planted.py --selection 0 --spike 0 --trait-sd 0.35 --trait-selection 1
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

import numpy as np
import pandas as pd

from segtarget.causal.event.study import EventStudy, feols
from segtarget.causal.event.panel import build_panel
from segtarget.causal.validation.planted import PlantSpec, plant_campaigns, true_effects
from segtarget.data import load_source

POST_WEEKS = 4


def trial_units(planted, data_end) -> pd.DataFrame:
    el = planted.eligible.rename(columns={"campaign_id": "index_campaign"})
    own = el[el.treated == 1].set_index("household_id")["start_date"]  # a household's own (only) campaign
    u = el[["household_id", "index_campaign", "treated", "start_date", "end_date"]].copy()
    u["outcome_start"] = pd.to_datetime(u["start_date"])
    end = pd.to_datetime(u["end_date"]) + timedelta(weeks=POST_WEEKS)
    end = end.clip(upper=pd.Timestamp(data_end))
    later = pd.to_datetime(u["household_id"].map(own))
    cut = (u.treated == 0) & later.notna() & (later > u["outcome_start"])
    u["outcome_end"] = end.where(~cut, np.minimum(end, later - timedelta(days=1)))
    u["truncated"] = cut & (u["outcome_end"] < end)
    return u.drop(columns=["start_date", "end_date"]).reset_index(drop=True)


def truth(planted, units: pd.DataFrame, panel: pd.DataFrame) -> tuple[float, pd.Series]:
    weeks = panel[panel.rel_week >= 0].groupby("unit").size().reindex(range(len(units)), fill_value=0)
    t = units.assign(weeks=weeks.to_numpy())
    t = t[(t.treated == 1) & (t.weeks > 0)].copy()
    t["outcome_end"] = t["outcome_start"] + pd.to_timedelta(7 * t["weeks"] - 1, unit="D")
    tau = true_effects(planted, t)["tau_sales"].to_numpy() / t["weeks"].to_numpy()
    per_trial = pd.Series(tau).groupby(t["index_campaign"].to_numpy()).mean()
    n = t.groupby("index_campaign").size()
    return float((per_trial * n).sum() / n.sum()), per_trial


def variance_weighted_att(panel: pd.DataFrame, level: int, recent: int = 1) -> tuple[float, float]:
    """The former pooled ATT: per trial one ``treated x post`` coefficient with trial x stratum x week effects
    (strata weighted by regression variance), trials weighted by treated units; household-clustered SE."""
    es = EventStudy(level_strata=level, recent_strata=recent)
    data = es._strata(es._valid(panel))
    data = data.assign(post=(data["treated"] * (data["rel_week"] >= 0)).astype(float))
    fit = feols("y ~ i(trial, post) | unit + stratum^rel_week", data, {"CRV1": "household_id"})
    trials = [int(float(name.split("::")[1].split(":")[0])) for name in fit.coef().index]
    n = data[data.treated == 1].drop_duplicates("unit").groupby("trial").size().reindex(trials).to_numpy(float)
    w = n / n.sum()
    return float(w @ fit.coef().to_numpy()), float(np.sqrt(w @ np.asarray(fit._vcov) @ w))


def one(seed: int, effect: str, spike: float, strata: list[tuple[int, int]], selection: float = 1.0,
        trait_sd: float = 0.0, trait_selection: float = 0.0) -> list[dict]:
    tables = load_source("completejourney", validate=False)
    planted = plant_campaigns(tables, PlantSpec(effect=effect, lift=0.2, spike_selection=spike, seed=seed,
                                                selection=selection, trait_sd=trait_sd,
                                                trait_selection=trait_selection))
    data_end = tables.con.execute("SELECT max(date) FROM clean_transactions").fetchall()[0][0]
    units = trial_units(planted, data_end)
    panel = build_panel(tables.con, units, 12)
    true_all, _ = truth(planted, units, panel)
    post = panel[panel.rel_week >= 0]
    naive = post[post.treated == 1].spend.mean() - post[post.treated == 0].spend.mean()
    rows = []
    for level, recent in strata:
        t0 = time.perf_counter()
        res = EventStudy(level_strata=level, recent_strata=recent).fit(panel).result_
        o = res.overall
        before, before_se = variance_weighted_att(panel, level, recent)
        rows.append({"seed": seed, "effect": effect, "spike_selection": spike, "trait": trait_selection,
                     "strata": f"{level}x{recent}", "variance_weighted": round(before, 2),
                     "vw_covers": bool(abs(before - true_all) <= 1.96 * before_se),
                     "treated": int(units.treated.sum()), "truth_per_week": round(true_all, 2),
                     "att_per_week": round(o["estimate"], 2), "ci_lower": round(o["ci_lower"], 2),
                     "ci_upper": round(o["ci_upper"], 2), "covers": bool(o["ci_lower"] <= true_all <= o["ci_upper"]),
                     "pretrend_p": round(res.pretrend["p_value"], 4), "naive_post_diff": round(naive, 2),
                     "seconds": round(time.perf_counter() - t0, 1)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--spike", type=float, nargs="+", default=[0.75, 0.0])
    ap.add_argument("--effects", nargs="+", default=["uniform", "none"])
    ap.add_argument("--strata", nargs="+", default=["1x1", "10x1", "5x3"], help="level x recent pre-period strata")
    ap.add_argument("--selection", type=float, default=1.0, help="logit slope of membership on the spend level")
    ap.add_argument("--trait-sd", type=float, default=0.0, help="persistent household trait (PlantSpec.trait_sd)")
    ap.add_argument("--trait-selection", type=float, default=0.0, help="logit slope of membership on the trait")
    a = ap.parse_args()
    strata = [tuple(int(v) for v in s.split("x")) for s in a.strata]
    rows = [r for sp in a.spike for e in a.effects for s in a.seeds
            for r in one(s, e, sp, strata, a.selection, a.trait_sd, a.trait_selection)]
    print(pd.DataFrame(rows).to_markdown(index=False))


if __name__ == "__main__":
    main()
