"""Retailer-size canonical data: new households built from real ones, each with its own purchase history.

Definitions
-----------
- **source households**: every household that appears in the source's transactions (2,469 for the
  embedded Complete Journey data).
- **replicate r**: one pass over the source households in a seeded random order. Asking for N households
  takes ``ceil(N / H)`` replicates; the last one is a random subset. Replicate 0 is the source itself,
  unchanged (ids, baskets, dates, memberships, redemptions), so N = H reproduces the source exactly.
- **resampled household** (replicate >= 1): built from one source household. For every week slot ``w``
  between the source's first and last purchase week, one source week ``w'`` is drawn uniformly from
  ``[w - k, w + k]`` (clipped to the source's own first..last week; ``k = week_window``). All baskets
  of week ``w'`` are copied whole into slot ``w`` (dates move by ``7 (w - w')`` days, so weekdays stay),
  each with a new basket id; a drawn week without purchases leaves the slot empty. The first and last
  slots keep their own week, so first and last purchase (tenure, recency) stay the source's and no
  household comes out empty; lines re-dated outside the source's date range are dropped. Money columns
  (sales_value, retail_disc, coupon_disc, coupon_match_disc) are multiplied by a household factor and a
  per-basket factor, each ``exp(sigma z - sigma^2 / 2)`` with ``z`` standard normal (mean 1), and rounded
  to cents. Quantities stay as they are: they are counts, and a factor would make them fractional.
  Resampling near the target week keeps seasonality and campaign-time spend roughly where it was.
- **campaign memberships**: replicate 0 keeps the real ones. A resampled household is a member of
  campaign c with probability ``p(c, d)``: the share of source households of spend decile ``d`` (the
  decile of its source household's total sales) that were members of c, drawn independently per household
  and campaign. It keeps its source's redemptions of c only when it was drawn a member of c and its source
  was one too (dates unchanged: they already lie inside c's window). Demographics are the source's.
- **ids**: ``household_id = r * id_stride + source id`` (id_stride: the next power of ten above the
  largest source id). Resampled baskets get ``basket_stride + (household_id * week_stride + slot) *
  index_stride + basket index in its source household``, all strides powers of ten, so ids never collide.
- **randomness**: every draw is a function of ``(seed, household, week slot, basket, campaign)`` through
  DuckDB's ``hash``, so the output does not depend on chunking or threads; same seed, same DuckDB version ->
  same data. ``synth_plan.parquet`` lists each household's source and replicate.

Output is the canonical ``tables:`` layout (``transactions/part-*.parquet`` plus one parquet file per
other table), written by DuckDB ``COPY ... TO`` one chunk of households at a time: the source lines are
held once in memory and each chunk streams to its own part, so memory does not grow with N.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import SegtargetError

TX_COLUMNS = ("household_id", "basket_id", "product_id", "store_id", "date", "time_of_day", "quantity",
              "sales_value", "retail_disc", "coupon_disc", "coupon_match_disc")
MONEY_COLUMNS = ("sales_value", "retail_disc", "coupon_disc", "coupon_match_disc")
COPIED_TABLES = ("products", "campaigns", "coupons")
N_DECILES = 10  # spend groups for the membership rates


@dataclass(frozen=True)
class SynthConfig:
    """How resampled households are built (replicate >= 1; replicate 0 is always the source)."""

    week_window: int = 2  # k: slot w draws a source week from [w-k, w+k]; 2 keeps campaign-time spend in place
    household_noise: float = 0.10  # sigma of the log household factor on money columns
    basket_noise: float = 0.10  # sigma of the log per-basket factor on money columns
    chunk_households: int = 25_000  # households per transactions part (bounds memory; ~15M lines at 100x)

    def __post_init__(self):
        if self.week_window < 0:
            raise SegtargetError(f"parameter --week-window {self.week_window}: must be >= 0")
        for key in ("household_noise", "basket_noise"):
            v = getattr(self, key)
            if not (0 <= v <= 1):
                raise SegtargetError(f"parameter --{key.replace('_', '-')} {v}: must be in [0, 1]")
        if self.chunk_households < 1:
            raise SegtargetError(f"parameter --chunk-households {self.chunk_households}: must be at least 1")


@dataclass(frozen=True)
class SynthResult:
    """What one ``synthesize`` call wrote."""

    out: Path
    households: int
    source_households: int
    replicates: int
    lines: int
    parts: int
    seconds: float

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"out": str(self.out), "households": self.households,
                              "source_households": self.source_households, "replicates": self.replicates,
                              "lines": self.lines, "parts": self.parts, "seconds": round(self.seconds, 2)}])


def _stride(max_id: int) -> int:
    """The next power of ten above ``max_id``."""
    return 10 ** len(str(max(int(max_id), 1)))


def household_plan(source_ids, n: int, seed: int) -> pd.DataFrame:
    """One row per new household: ``household_id, source_id, replicate``.

    Replicate r permutes the source households with its own seeded generator and takes the first
    ``min(H, n - r * H)``; replicate 0 keeps the source ids.
    """
    ids = np.unique(np.asarray(source_ids, dtype=np.int64))
    if n < 1:
        raise SegtargetError(f"parameter --households {n}: must be at least 1")
    h = len(ids)
    reps = math.ceil(n / h)
    stride = _stride(ids.max())
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(reps)]
    frames = []
    for r, rng in enumerate(rngs):
        chosen = np.sort(rng.permutation(ids)[:min(h, n - r * h)])
        frames.append(pd.DataFrame({"household_id": r * stride + chosen, "source_id": chosen,
                                    "replicate": np.int64(r)}))
    return pd.concat(frames, ignore_index=True)


def _uniform(seed: int, *keys: str) -> str:
    """SQL for a uniform draw in (0, 1) that is a pure function of the seed and the key expressions."""
    return f"((hash({int(seed)}, {', '.join(keys)}) >> 11) + 0.5) / 9007199254740992.0"


def _factor(seed: int, sigma: float, *keys: str) -> str:
    """SQL for exp(sigma z - sigma^2/2), z standard normal by Box-Muller: a mean-1 lognormal factor."""
    z = (f"sqrt(-2 * ln({_uniform(seed, *keys, '1')})) * cos(2 * pi() * {_uniform(seed, *keys, '2')})")
    return f"exp({float(sigma)} * {z} - {float(sigma) ** 2 / 2})"


def _q(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _copy(con, select_sql: str, path: Path) -> None:
    con.execute(f"COPY ({select_sql}) TO {_q(path)} (FORMAT parquet, COMPRESSION zstd)")


def _source_households(con) -> list[int]:
    ids = [r[0] for r in con.execute(
        "SELECT DISTINCT household_id FROM transactions WHERE household_id IS NOT NULL ORDER BY 1").fetchall()]
    if not ids:
        raise SegtargetError("synth: the source has no transactions to resample")
    return ids


def _prepare_source(con) -> dict[str, int]:
    """Materialise the planned source lines (with week and basket index) and each source's week span,
    total sales and spend decile; return the id strides."""
    cols = ", ".join(TX_COLUMNS)
    con.execute(f"""CREATE TEMP TABLE src_tx AS SELECT {cols}, week,
                    dense_rank() OVER (PARTITION BY household_id ORDER BY basket_id) AS bidx FROM transactions
                    WHERE household_id IN (SELECT DISTINCT source_id FROM plan) ORDER BY household_id, week""")
    con.execute(f"""CREATE TEMP TABLE src_span AS SELECT household_id, min(week) AS first_week,
                    max(week) AS last_week, sum(sales_value) AS spend,
                    ntile({N_DECILES}) OVER (ORDER BY sum(sales_value), household_id) AS decile
                    FROM src_tx GROUP BY household_id""")
    basket, week, bidx = con.execute("""SELECT coalesce(max(basket_id), 0), coalesce(max(week) - min(week), 0),
                                        coalesce(max(bidx), 0) FROM src_tx""").fetchall()[0]
    return {"basket": _stride(basket), "week": _stride(week), "index": _stride(bidx)}


def _resampled_sql(seed: int, cfg: SynthConfig, strides: dict[str, int], week0: int, date_range: str) -> str:
    """Lines of the resampled households of ``plan_chunk`` (see the module docstring)."""
    k = int(cfg.week_window)
    hh = _factor(seed, cfg.household_noise, "s.household_id", "'household'")
    bk = _factor(seed, cfg.basket_noise, "s.household_id", "s.slot", "t.bidx", "'basket'")
    money = ", ".join(f"round(t.{c} * {hh} * {bk}, 2) AS {c}" for c in MONEY_COLUMNS)
    basket = (f"{strides['basket']} + (s.household_id * {strides['week']} + (s.slot - {week0})) * "
              f"{strides['index']} + t.bidx")
    return f"""
        WITH slots AS (
            SELECT p.household_id, p.source_id, unnest(range(sp.first_week, sp.last_week + 1)) AS slot,
                   sp.first_week, sp.last_week
            FROM plan_chunk p JOIN src_span sp ON sp.household_id = p.source_id WHERE p.replicate > 0),
        drawn AS (
            SELECT household_id, source_id, slot, first_week, last_week, greatest(first_week, slot - {k}) AS lo,
                   least(last_week, slot + {k}) AS hi FROM slots),
        picked AS (
            SELECT household_id, source_id, slot,
                   CASE WHEN slot IN (first_week, last_week) THEN slot ELSE lo + CAST(floor(
                       {_uniform(seed, 'household_id', 'slot', "'week'")} * (hi - lo + 1)) AS INTEGER) END
                   AS week_from FROM drawn)
        SELECT s.household_id, {basket} AS basket_id, t.product_id, t.store_id,
               t.date + CAST(7 * (s.slot - s.week_from) AS INTEGER) AS date, t.time_of_day, t.quantity, {money}
        FROM picked s JOIN src_tx t ON t.household_id = s.source_id AND t.week = s.week_from
        WHERE t.date + CAST(7 * (s.slot - s.week_from) AS INTEGER) BETWEEN {date_range}"""


def _write_transactions(con, plan: pd.DataFrame, out: Path, seed: int, cfg: SynthConfig,
                        strides: dict[str, int]) -> tuple[int, int]:
    """One parquet part per chunk of new households; returns (lines, parts)."""
    tx_dir = out / "transactions"
    tx_dir.mkdir()
    week0, first, last = con.execute("SELECT min(week), min(date), max(date) FROM src_tx").fetchall()[0]
    dates = f"DATE '{first}' AND DATE '{last}'"
    cols = ", ".join(f"t.{c}" for c in TX_COLUMNS if c != "household_id")
    original = f"""SELECT p.household_id, {cols} FROM plan_chunk p JOIN src_tx t ON t.household_id = p.source_id
                   WHERE p.replicate = 0"""
    lines = parts = 0
    for start in range(0, len(plan), cfg.chunk_households):
        con.register("plan_chunk", plan.iloc[start:start + cfg.chunk_households])
        path = tx_dir / f"part-{parts:05d}.parquet"
        _copy(con, f"({original}) UNION ALL ({_resampled_sql(seed, cfg, strides, week0, dates)})", path)
        con.unregister("plan_chunk")
        lines += con.execute(f"SELECT count(*) FROM read_parquet({_q(path)})").fetchall()[0][0]
        parts += 1
    return lines, parts


def _draw_members(con, tables, seed: int) -> None:
    """Temp table ``syn_members``: real memberships for replicate 0, re-drawn ones for the others."""
    campaigns = ("SELECT campaign_id FROM campaigns UNION SELECT campaign_id FROM campaign_members"
                 if tables.has("campaigns") else "SELECT DISTINCT campaign_id FROM campaign_members")
    u = _uniform(seed, "p.household_id", "r.campaign_id", "'member'")
    con.execute(f"""CREATE TEMP TABLE syn_members AS
        WITH camp AS ({campaigns}),
        rates AS (
            SELECT sp.decile, c.campaign_id, avg(CASE WHEN m.household_id IS NULL THEN 0.0 ELSE 1.0 END) AS p
            FROM src_span sp CROSS JOIN camp c
            LEFT JOIN campaign_members m ON m.household_id = sp.household_id AND m.campaign_id = c.campaign_id
            GROUP BY ALL)
        SELECT p.household_id, p.source_id, m.campaign_id FROM plan p
            JOIN campaign_members m ON m.household_id = p.source_id WHERE p.replicate = 0
        UNION ALL
        SELECT p.household_id, p.source_id, r.campaign_id FROM plan p
            JOIN src_span sp ON sp.household_id = p.source_id JOIN rates r ON r.decile = sp.decile
            WHERE p.replicate > 0 AND {u} < r.p""")


def _write_household_tables(con, tables, out: Path, seed: int) -> None:
    """Demographics follow the source; memberships and redemptions as in the module docstring."""
    if tables.has("households"):
        _copy(con, """SELECT p.household_id, h.* EXCLUDE (household_id)
                      FROM plan p JOIN households h ON h.household_id = p.source_id
                      ORDER BY p.household_id""", out / "households.parquet")
    if not tables.has("campaign_members"):
        return
    _draw_members(con, tables, seed)
    _copy(con, "SELECT household_id, campaign_id FROM syn_members ORDER BY ALL", out / "campaign_members.parquet")
    if tables.has("redemptions"):
        # replicate 0 keeps every real redemption, even one without a membership row
        _copy(con, """SELECT p.household_id, r.coupon_upc, r.campaign_id, r.date
                      FROM plan p JOIN redemptions r ON r.household_id = p.source_id WHERE p.replicate = 0
                      UNION ALL
                      SELECT s.household_id, r.coupon_upc, r.campaign_id, r.date
                      FROM syn_members s JOIN plan p ON p.household_id = s.household_id AND p.replicate > 0
                      JOIN redemptions r ON r.household_id = s.source_id AND r.campaign_id = s.campaign_id
                      ORDER BY 1, 3, 2, 4""", out / "redemptions.parquet")


def synthesize(out, households: int | None, *, source: str = "completejourney", seed: int = 42,
               config: SynthConfig = SynthConfig(), promotions: bool = True, memory_limit: str = "",
               threads: int = 0) -> SynthResult:
    """Write ``households`` households built from ``source`` to ``out`` in the canonical layout.

    ``households=None`` writes every source household once, unchanged: an export of any source to the
    canonical ``tables:`` layout (what the Spark engine reads).
    """
    from .data import connect, load_source
    from .io import atomic_output_dir

    t0 = time.perf_counter()
    con = connect(memory_limit=memory_limit, threads=threads)
    tables = load_source(source, con=con, validate=False)
    source_ids = _source_households(con)
    plan = household_plan(source_ids, households or len(source_ids), seed)
    con.register("plan", plan)
    replicates = int(plan["replicate"].max()) + 1
    strides = _prepare_source(con)
    top = strides["basket"] + replicates * _stride(max(source_ids)) * strides["week"] * strides["index"]
    if top >= 2 ** 63:
        raise SegtargetError(f"parameter --households {households}: too many replicates for 64-bit basket ids; "
                             "ask for fewer households")
    with atomic_output_dir(out) as tmp:
        lines, parts = _write_transactions(con, plan, tmp, seed, config, strides)
        for name in COPIED_TABLES:
            if tables.has(name):
                _copy(con, f"SELECT * FROM {name}", tmp / f"{name}.parquet")
        _write_household_tables(con, tables, tmp, seed)
        if promotions and tables.has("raw_promotions"):
            _copy(con, "SELECT product_id, store_id, week, display, mailer FROM raw_promotions",
                  tmp / "promotions.parquet")
        _copy(con, "SELECT * FROM plan ORDER BY household_id", tmp / "synth_plan.parquet")
    con.close()
    return SynthResult(out=Path(out), households=len(plan), source_households=len(source_ids),
                       replicates=replicates, lines=int(lines), parts=parts, seconds=time.perf_counter() - t0)


__all__ = ["synthesize", "household_plan", "SynthConfig", "SynthResult"]
