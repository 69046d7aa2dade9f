"""Planted campaigns: real transactions, a known campaign effect, members picked by a rule on past behaviour.

A study design is judged by whether its headline interval covers a truth it was not told. The semi-synthetic
generator (``semisynth.py``) simulates outcomes on real covariates; this one keeps everything real except the
Type A campaigns, so the design, the windows, the look-back features and the outcome SQL all run exactly as
on the real data:

1. **Campaigns.** The source's Type A campaigns keep their ids and dates; their real memberships and
   redemptions are removed (real Type B/C campaigns stay as they are). A household is planted into at most
   one Type A campaign, so "first Type A membership" is well defined.
2. **Selection on past behaviour.** For campaign c starting on S, every household with a basket in the
   look-back [S - L, S) (L = ``lookback_weeks`` or what the data has) that no earlier planted campaign took is
   eligible. With ``level`` = z-score of log(1 + weekly look-back spend) and ``spike`` = z-score of
   log((1 + weekly spend over the last 4 weeks) / (1 + weekly spend over the rest of the look-back)),
   P(member) = sigmoid(a + ``selection`` * level + ``spike_selection`` * spike), with ``a`` solved so the
   mean probability is ``share``. The spike term is the retailer's habit that makes naive comparisons
   biased: households picked after an unusually good month spend less next month anyway.
3. **Effect.** A treated member's sales lines dated in [S, E] (the campaign's own dates) are multiplied by
   (1 + lift_i); ``discount_rate`` adds a retailer-funded discount (coupon_match_disc) of that share of the
   member's original sales on the same lines. lift_i is 0 (``none``), ``lift`` (``uniform``), or
   ``lift * clip(1 - level, -1, 3)`` (``heterogeneous``: light buyers gain most, heavy buyers lose - the
   offer subsidises purchases they would make anyway).
4. **Truth.** Because the lift multiplies observed spend, every eligible household's potential outcome under
   treatment is known: tau_sales = lift_i * (its original sales in [S, min(E, its window end)]) and
   tau_retailer_discount = discount_rate * the same sales. :func:`true_effects` returns them for any units,
   treated or not, so ATT, ATE, overlap-weighted effects and policy values all have a known true value.

The views of ``tables.con`` are replaced in place (``clean_transactions``, ``campaign_members``,
``redemptions``): load a fresh source for the original data.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from ...data.db import exact_sum, first_row, view_exists
from ...errors import SegtargetError

EFFECTS = ("none", "uniform", "heterogeneous")
SPIKE_DAYS = 28  # "recent" part of the look-back for the spike index


@dataclass(frozen=True)
class PlantSpec:
    """How planted campaigns pick members and what they do to them."""

    effect: str = "none"  # none | uniform | heterogeneous
    lift: float = 0.20  # sales multiplier - 1 in the campaign window (mean level for "heterogeneous")
    discount_rate: float = 0.0  # caused retailer-funded discount, as a share of the member's original sales
    share: float = 0.30  # mean share of eligible households picked by each campaign
    selection: float = 1.0  # logit slope on the spend level (per SD)
    spike_selection: float = 0.75  # logit slope on the recent spike (per SD)
    lookback_weeks: int = 12  # look-back used by the selection rule (shorter where the data start later)
    seed: int = 0
    # A persistent household trait u ~ N(0, 1): every line of a household is scaled by exp(trait_sd u - trait_sd^2/2)
    # all year, so a 12-week look-back sees u only through the household's own noise; trait_selection is the logit
    # slope of membership on u (per SD). 0 and 0: no trait.
    trait_sd: float = 0.0
    trait_selection: float = 0.0
    # The real Type A campaigns: "drop" (their memberships removed, their real effect left unlabelled in the
    # transactions, the old behaviour) or "relabel" (kept as Type C campaigns with id + 1000 and their real members,
    # so their effect is visible as Type B/C exposure instead of hiding in the planted null).
    real_typea: str = "drop"
    # Co-targeting: each planted Type A campaign c gets a planted Type B campaign (id c + 2000, same dates) whose
    # members are c's members with probability cotarget_share and eligible non-members with a fifth of it; it adds
    # cotarget_lift x the member's sales on its dates (additive with the Type A lift, so each effect is known).
    cotarget_share: float = 0.0
    cotarget_lift: float = 0.0

    def __post_init__(self):
        if self.effect not in EFFECTS:
            raise SegtargetError(f"PlantSpec.effect={self.effect!r}: use one of {', '.join(EFFECTS)}")
        if not 0 < self.share < 1:
            raise SegtargetError(f"PlantSpec.share={self.share}: must be in (0, 1)")
        if self.lift <= -1 or self.discount_rate < 0:
            raise SegtargetError("PlantSpec: lift must be > -1 and discount_rate >= 0")
        if self.lookback_weeks < 1:
            raise SegtargetError(f"PlantSpec.lookback_weeks={self.lookback_weeks}: must be >= 1")
        if self.trait_sd < 0 or self.real_typea not in ("drop", "relabel"):
            raise SegtargetError("PlantSpec: trait_sd must be >= 0 and real_typea 'drop' or 'relabel'")
        if not 0 <= self.cotarget_share < 1 or self.cotarget_lift <= -1:
            raise SegtargetError("PlantSpec: cotarget_share must be in [0, 1) and cotarget_lift > -1")


@dataclass(frozen=True)
class Planted:
    """The planted source and the potential-outcome facts needed to score any estimate against it."""

    tables: object  # segtarget.data.Tables with planted views
    spec: PlantSpec
    # One row per (household, campaign) the household was eligible for: household_id, campaign_id,
    # start_date, end_date, level, spike, propensity, treated, lift.
    eligible: pd.DataFrame

    @property
    def members(self) -> pd.DataFrame:
        return self.eligible.loc[self.eligible["treated"] == 1, ["household_id", "campaign_id"]]

    def summary_frame(self) -> pd.DataFrame:
        g = self.eligible.groupby("campaign_id")
        return pd.DataFrame({"eligible": g.size(), "treated": g["treated"].sum(),
                             "mean_propensity": g["propensity"].mean(), "mean_lift_treated":
                             g.apply(lambda d: d.loc[d.treated == 1, "lift"].mean(), include_groups=False)}
                            ).reset_index()


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _intercept(score: np.ndarray, share: float) -> float:
    """a such that mean(sigmoid(a + score)) = share (monotone in a: bisection)."""
    lo, hi = -30.0, 30.0
    for _ in range(80):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _sigmoid(mid + score).mean() < share else (lo, mid)
    return (lo + hi) / 2


def _zscore(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


def _traits(con, spec: PlantSpec) -> pd.DataFrame:
    """One persistent trait u ~ N(0, 1) per household (by sorted id, so the same seed gives the same traits)."""
    ids = con.execute("SELECT DISTINCT household_id FROM clean_transactions ORDER BY 1").df()
    ids["trait"] = np.random.default_rng([spec.seed, 4242]).standard_normal(len(ids))
    ids["mult"] = np.exp(spec.trait_sd * ids["trait"] - spec.trait_sd ** 2 / 2)
    return ids


def _lookback_stats(con, start, L: int) -> pd.DataFrame:
    """Weekly spend over the look-back and over its last 4 weeks, for households with a basket in it."""
    lb = start - timedelta(days=L)
    recent = start - timedelta(days=min(SPIKE_DAYS, L))
    rest_weeks = max((L - min(SPIKE_DAYS, L)) / 7, 1.0)
    df = con.execute(f"""
        SELECT household_id, {exact_sum('sales_value')} AS spend,
               coalesce({exact_sum('sales_value', f"date >= DATE '{recent}'")}, 0) AS recent
        FROM planted_base WHERE date >= DATE '{lb}' AND date < DATE '{start}'
        GROUP BY household_id ORDER BY household_id""").df()
    df = df.merge(con.execute("SELECT household_id, trait FROM planted_traits").df(), on="household_id", how="left")
    weeks = L / 7
    df["level"] = _zscore(np.log1p(df["spend"].to_numpy() / weeks))
    recent_week = df["recent"].to_numpy() / (min(SPIKE_DAYS, L) / 7)
    rest_week = (df["spend"].to_numpy() - df["recent"].to_numpy()) / rest_weeks
    df["spike"] = _zscore(np.log((1 + recent_week) / (1 + rest_week)))
    return df[["household_id", "level", "spike", "trait"]]


def _lift(spec: PlantSpec, level: np.ndarray) -> np.ndarray:
    if spec.effect == "none":
        return np.zeros_like(level)
    if spec.effect == "uniform":
        return np.full_like(level, spec.lift)
    return spec.lift * np.clip(1.0 - level, -1.0, 3.0)


def _select(con, camps: pd.DataFrame, spec: PlantSpec, data_start) -> pd.DataFrame:
    rng = np.random.default_rng(spec.seed)
    taken: set[int] = set()
    frames = []
    for c in camps.itertuples():
        L = min(spec.lookback_weeks * 7, (c.start_date - data_start).days)
        if L < 7:
            continue  # too little history for a rule on past behaviour: the campaign gets no members
        st = _lookback_stats(con, c.start_date, L)
        st = st[~st["household_id"].isin(taken)].reset_index(drop=True)
        if st.empty:
            continue
        score = (spec.selection * st["level"].to_numpy() + spec.spike_selection * st["spike"].to_numpy()
                 + spec.trait_selection * _zscore(st["trait"].to_numpy()))
        p = _sigmoid(_intercept(score, spec.share) + score)
        st["propensity"] = p
        st["treated"] = (rng.random(len(st)) < p).astype(int)
        st["lift"] = _lift(spec, st["level"].to_numpy())
        st["campaign_id"], st["start_date"], st["end_date"] = c.campaign_id, c.start_date, c.end_date
        taken |= set(st.loc[st.treated == 1, "household_id"].tolist())
        frames.append(st)
    if not frames:
        raise SegtargetError("planted campaigns: no Type A campaign has a week of history before it; "
                             "bring earlier transactions")
    cols = ["household_id", "campaign_id", "start_date", "end_date", "level", "spike", "propensity", "treated",
            "lift"]
    return pd.concat(frames, ignore_index=True)[cols]


def plant_campaigns(tables, spec: PlantSpec) -> Planted:
    """Replace the Type A campaigns' members by planted ones and plant their effect into the transactions."""
    con = tables.con
    if not all(view_exists(con, v) for v in ("campaigns", "campaign_members")):
        raise SegtargetError("planted campaigns need the campaigns and campaign_members tables")
    camps = con.execute("SELECT campaign_id, start_date, end_date FROM campaigns WHERE campaign_type = 'A' "
                        "ORDER BY start_date, campaign_id").df()
    if camps.empty:
        raise SegtargetError("planted campaigns: the campaigns table has no Type A campaign to plant into")
    for col in ("start_date", "end_date"):
        camps[col] = pd.to_datetime(camps[col]).dt.date
    _materialise(con, "planted_traits", _traits(con, spec))
    # the trait scales money, not quantities: a persistent difference in what a household spends
    con.execute("""CREATE OR REPLACE TABLE planted_base AS
        SELECT t.* REPLACE (t.sales_value * u.mult AS sales_value, t.retail_disc * u.mult AS retail_disc,
                            t.coupon_disc * u.mult AS coupon_disc, t.coupon_match_disc * u.mult AS coupon_match_disc)
        FROM clean_transactions t JOIN planted_traits u USING (household_id)""")
    data_start = first_row(con, "SELECT min(date) FROM planted_base")[0]
    eligible = _select(con, camps, spec, data_start)
    treated = eligible.loc[eligible.treated == 1, ["household_id", "campaign_id", "start_date", "end_date",
                                                   "lift"]]
    _materialise(con, "planted_treated", treated)
    cot = _cotargeted(eligible, spec)
    _materialise(con, "planted_cotarget", cot[["household_id", "start_date", "end_date", "lift"]])
    con.execute(f"""CREATE OR REPLACE TABLE planted_transactions AS
        SELECT t.* REPLACE (t.sales_value * (1 + coalesce(p.lift, 0) + coalesce(q.lift, 0)) AS sales_value,
                            t.coupon_match_disc + CASE WHEN p.lift IS NULL THEN 0
                                ELSE {float(spec.discount_rate)} * t.sales_value END AS coupon_match_disc)
        FROM planted_base t LEFT JOIN planted_treated p
          ON p.household_id = t.household_id AND t.date BETWEEN p.start_date AND p.end_date
        LEFT JOIN planted_cotarget q
          ON q.household_id = t.household_id AND t.date BETWEEN q.start_date AND q.end_date""")
    con.execute("CREATE OR REPLACE VIEW clean_transactions AS SELECT * FROM planted_transactions")
    typea = "SELECT campaign_id FROM campaigns WHERE campaign_type = 'A'"
    members = con.execute(f"SELECT * FROM campaign_members WHERE campaign_id NOT IN ({typea})").df()
    extra = [cot.assign(campaign_type="B")[["campaign_id", "campaign_type", "start_date", "end_date"]]
             .drop_duplicates("campaign_id")]
    if spec.real_typea == "relabel":
        real, real_members = _real_typea_as_c(con)
        extra.append(real)
        members = pd.concat([members, real_members], ignore_index=True)
    members = pd.concat([members, treated[["household_id", "campaign_id"]], cot[["household_id", "campaign_id"]]],
                        ignore_index=True)
    _materialise(con, "planted_members", members)
    con.execute("CREATE OR REPLACE VIEW campaign_members AS SELECT * FROM planted_members")
    extra = pd.concat(extra, ignore_index=True)
    if not extra.empty:
        con.execute("CREATE OR REPLACE TABLE planted_campaigns AS SELECT * FROM campaigns")
        con.register("planted_extra_df", extra)
        con.execute("INSERT INTO planted_campaigns BY NAME SELECT * FROM planted_extra_df")
        con.unregister("planted_extra_df")
        con.execute("CREATE OR REPLACE VIEW campaigns AS SELECT * FROM planted_campaigns")
    if view_exists(con, "redemptions"):
        con.execute(f"CREATE OR REPLACE TABLE planted_redemptions AS SELECT * FROM redemptions "
                    f"WHERE campaign_id NOT IN ({typea})")
        con.execute("CREATE OR REPLACE VIEW redemptions AS SELECT * FROM planted_redemptions")
    tables.fingerprint = hashlib.sha256(f"{tables.fingerprint}|{spec}".encode()).hexdigest()[:16]
    tables.source = f"{tables.source} (planted {spec.effect})"
    return Planted(tables=tables, spec=spec, eligible=eligible)


def _materialise(con, name: str, df: pd.DataFrame) -> None:
    """``df`` as a DuckDB table ``name`` (a table, not a view of a pandas frame that may go away)."""
    con.register(f"{name}_df", df)
    con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {name}_df")
    con.unregister(f"{name}_df")


def _cotargeted(eligible: pd.DataFrame, spec: PlantSpec) -> pd.DataFrame:
    """Members of the planted Type B campaigns (module docstring of PlantSpec.cotarget_*): household_id,
    campaign_id, start_date, end_date, lift."""
    rng = np.random.default_rng([spec.seed, 77])
    p = np.where(eligible["treated"].to_numpy() == 1, spec.cotarget_share, spec.cotarget_share / 5)
    hit = eligible[rng.random(len(eligible)) < p]
    return pd.DataFrame({"household_id": hit["household_id"].to_numpy(), "campaign_id": hit["campaign_id"] + 2000,
                         "start_date": hit["start_date"], "end_date": hit["end_date"],
                         "lift": float(spec.cotarget_lift)}).reset_index(drop=True)


def _real_typea_as_c(con) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The real Type A campaigns as Type C campaigns (id + 1000, same dates) and their real members."""
    camps = con.execute("""SELECT campaign_id + 1000 AS campaign_id, 'C' AS campaign_type, start_date, end_date
        FROM campaigns WHERE campaign_type = 'A'""").df()
    members = con.execute("""SELECT m.* REPLACE (m.campaign_id + 1000 AS campaign_id) FROM campaign_members m
        JOIN campaigns c USING (campaign_id) WHERE c.campaign_type = 'A'""").df()
    return camps, members


def true_effects(planted: Planted, units: pd.DataFrame) -> pd.DataFrame:
    """True per-unit effects for units (household_id, index_campaign[, outcome_end]), treated or not.

    tau_sales is the dollars the campaign adds (would add) to the unit's sales in its outcome window: lift_i
    times its original sales on the campaign's dates up to the unit's own window end. Units that were not
    eligible for their index campaign under the planted rule get the lift their spend level implies all the
    same (level taken as 0 when they had no look-back basket). tau_retailer_discount is the discount that
    spend brings with it. Returned columns: household_id, index_campaign, lift, base_sales, tau_sales,
    tau_retailer_discount (window totals; divide by the unit's weeks for per-week outcomes).
    """
    need = {"household_id", "index_campaign"}
    if not need <= set(units.columns):
        raise SegtargetError(f"true_effects: units need columns {sorted(need)}")
    con = planted.tables.con
    camps = con.execute("SELECT campaign_id AS index_campaign, start_date, end_date FROM campaigns").df()
    u = units[[c for c in ("household_id", "index_campaign", "outcome_end") if c in units]].merge(
        camps, on="index_campaign", how="left")
    if u["start_date"].isna().any():
        raise SegtargetError("true_effects: a unit's index_campaign is not in the campaigns table")
    u["window_end"] = pd.to_datetime(u["end_date"])
    if "outcome_end" in u:
        u["window_end"] = np.minimum(u["window_end"], pd.to_datetime(u["outcome_end"]))
    u["start_date"] = pd.to_datetime(u["start_date"])
    u["_row"] = np.arange(len(u))
    con.register("planted_units_df", u[["_row", "household_id", "start_date", "window_end"]])
    base = con.execute(f"""SELECT u._row, coalesce({exact_sum('t.sales_value')}, 0) AS base_sales
        FROM planted_units_df u LEFT JOIN planted_base t ON t.household_id = u.household_id
         AND t.date BETWEEN CAST(u.start_date AS DATE) AND CAST(u.window_end AS DATE)
        GROUP BY u._row""").df()
    con.unregister("planted_units_df")
    u = u.merge(base, on="_row", how="left").sort_values("_row")
    elig = planted.eligible.rename(columns={"campaign_id": "index_campaign"})[
        ["household_id", "index_campaign", "lift"]]
    u = u.merge(elig, on=["household_id", "index_campaign"], how="left")
    missing = u["lift"].isna()
    u.loc[missing, "lift"] = _lift(planted.spec, np.zeros(int(missing.sum())))
    u["tau_sales"] = u["lift"] * u["base_sales"]
    u["tau_retailer_discount"] = planted.spec.discount_rate * u["base_sales"]
    return u[["household_id", "index_campaign", "lift", "base_sales", "tau_sales",
              "tau_retailer_discount"]].reset_index(drop=True)

