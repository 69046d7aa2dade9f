"""Retailer-size canonical data by resampling the real households of a source.

Definitions
-----------
- **source households**: every household that appears in the source's transactions (2,469 for the
  embedded Complete Journey data).
- **replicate r**: one pass over the source households in a seeded random order. Replicate 0 uses each
  source household once, unchanged; replicates 1, 2, ... use each source household once more with a new
  id, new basket ids and every date shifted by the same random number of days in
  ``[-max_shift_days, +max_shift_days]``. Asking for N households takes ``ceil(N / H)`` replicates; the
  last one is a random subset. So N = H reproduces the source exactly, and 100 x H contains every real
  household 100 times: the feature distributions stay those of the real data, only bigger.
- **ids**: ``household_id = r * id_stride + source id`` and ``basket_id = r * basket_stride + source
  basket id``, with strides the next power of ten above the source's largest id, so ids stay unique and
  a clone's source is readable from its id.
- **campaigns**: a clone inherits its source's campaign memberships, demographics and redemptions;
  redemption dates move with the clone's shift but are clamped into the campaign's window, so every
  redemption still lies inside its campaign. Products, campaigns, coupons and promotions are copied.

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

DEFAULT_MAX_SHIFT_DAYS = 7  # a week either way keeps clones inside the same season
DEFAULT_CHUNK_HOUSEHOLDS = 25_000  # ≈15M lines per transactions part on the embedded data

TX_COLUMNS = ("household_id", "basket_id", "product_id", "store_id", "date", "time_of_day", "quantity",
              "sales_value", "retail_disc", "coupon_disc", "coupon_match_disc")
COPIED_TABLES = ("products", "campaigns", "coupons")


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


def household_plan(source_ids, n: int, seed: int, max_shift_days: int = DEFAULT_MAX_SHIFT_DAYS) -> pd.DataFrame:
    """One row per new household: ``household_id, source_id, replicate, shift_days``.

    Replicate r permutes the source households with its own seeded generator and takes the first
    ``min(H, n - r * H)``; replicate 0 keeps ids and dates (shift 0).
    """
    ids = np.unique(np.asarray(source_ids, dtype=np.int64))
    if n < 1:
        raise SegtargetError(f"parameter --households {n}: must be at least 1")
    if max_shift_days < 0:
        raise SegtargetError(f"parameter --max-shift-days {max_shift_days}: must be >= 0")
    h = len(ids)
    reps = math.ceil(n / h)
    stride = _stride(ids.max())
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(reps)]
    frames = []
    for r, rng in enumerate(rngs):
        take = min(h, n - r * h)
        chosen = np.sort(rng.permutation(ids)[:take])
        shift = (np.zeros(take, dtype=np.int64) if r == 0
                 else rng.integers(-max_shift_days, max_shift_days + 1, size=take))
        frames.append(pd.DataFrame({"household_id": r * stride + chosen, "source_id": chosen,
                                    "replicate": np.int64(r), "shift_days": shift.astype(np.int64)}))
    return pd.concat(frames, ignore_index=True)


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


def _source_lines(con) -> int:
    """Materialise the lines of the planned source households once; return the largest basket id."""
    cols = ", ".join(TX_COLUMNS)
    con.execute(f"""CREATE TEMP TABLE src_tx AS SELECT {cols} FROM transactions
                    WHERE household_id IN (SELECT DISTINCT source_id FROM plan) ORDER BY household_id, basket_id""")
    return int(con.execute("SELECT coalesce(max(basket_id), 0) FROM src_tx").fetchall()[0][0])


def _write_transactions(con, plan: pd.DataFrame, out: Path, basket_stride: int, chunk: int) -> tuple[int, int]:
    """One parquet part per chunk of new households; returns (lines, parts)."""
    tx_dir = out / "transactions"
    tx_dir.mkdir()
    cols = ", ".join(f"t.{c}" for c in TX_COLUMNS if c not in ("household_id", "basket_id", "date"))
    lines = parts = 0
    for start in range(0, len(plan), chunk):
        con.register("plan_chunk", plan.iloc[start:start + chunk])
        path = tx_dir / f"part-{parts:05d}.parquet"
        _copy(con, f"""SELECT p.household_id, t.basket_id + p.replicate * {basket_stride} AS basket_id,
                        CAST(t.date + CAST(p.shift_days AS INTEGER) AS DATE) AS date, {cols}
                       FROM src_tx t JOIN plan_chunk p ON t.household_id = p.source_id""", path)
        con.unregister("plan_chunk")
        lines += con.execute(f"SELECT count(*) FROM read_parquet({_q(path)})").fetchall()[0][0]
        parts += 1
    return lines, parts


def _write_household_tables(con, tables, out: Path) -> None:
    """Demographics, memberships and redemptions follow each clone's source household."""
    if tables.has("households"):
        _copy(con, """SELECT p.household_id, h.* EXCLUDE (household_id)
                      FROM plan p JOIN households h ON h.household_id = p.source_id
                      ORDER BY p.household_id""", out / "households.parquet")
    if tables.has("campaign_members"):
        _copy(con, """SELECT p.household_id, m.campaign_id
                      FROM plan p JOIN campaign_members m ON m.household_id = p.source_id
                      ORDER BY p.household_id, m.campaign_id""", out / "campaign_members.parquet")
    if tables.has("redemptions"):
        shifted = "CAST(r.date + CAST(p.shift_days AS INTEGER) AS DATE)"
        clamp = (f"CASE WHEN c.campaign_id IS NULL THEN {shifted} "
                 f"ELSE least(greatest({shifted}, c.start_date), c.end_date) END"
                 if tables.has("campaigns") else shifted)
        join = "LEFT JOIN campaigns c ON c.campaign_id = r.campaign_id" if tables.has("campaigns") else ""
        _copy(con, f"""SELECT p.household_id, r.coupon_upc, r.campaign_id, {clamp} AS date
                       FROM plan p JOIN redemptions r ON r.household_id = p.source_id {join}
                       ORDER BY p.household_id, r.campaign_id, r.coupon_upc""", out / "redemptions.parquet")


def synthesize(out, households: int | None, *, source: str = "completejourney", seed: int = 42,
               max_shift_days: int = DEFAULT_MAX_SHIFT_DAYS, chunk_households: int = DEFAULT_CHUNK_HOUSEHOLDS,
               promotions: bool = True, memory_limit: str = "", threads: int = 0) -> SynthResult:
    """Write ``households`` resampled households of ``source`` to ``out`` in the canonical layout.

    ``households=None`` writes every source household once, unchanged: an export of any source to the
    canonical ``tables:`` layout (what the Spark engine reads).
    """
    from .data import connect, load_source
    from .io import atomic_output_dir

    if chunk_households < 1:
        raise SegtargetError(f"parameter --chunk-households {chunk_households}: must be at least 1")
    t0 = time.perf_counter()
    con = connect(memory_limit=memory_limit, threads=threads)
    tables = load_source(source, con=con, validate=False)
    source_ids = _source_households(con)
    plan = household_plan(source_ids, households or len(source_ids), seed, max_shift_days)
    con.register("plan", plan)
    replicates = int(plan["replicate"].max()) + 1
    basket_stride = _stride(_source_lines(con))
    if replicates * basket_stride >= 2 ** 63 or replicates * _stride(max(source_ids)) >= 2 ** 63:
        raise SegtargetError(f"parameter --households {households}: too many replicates for 64-bit ids; "
                             "ask for fewer households")
    with atomic_output_dir(out) as tmp:
        lines, parts = _write_transactions(con, plan, tmp, basket_stride, chunk_households)
        for name in COPIED_TABLES:
            if tables.has(name):
                _copy(con, f"SELECT * FROM {name}", tmp / f"{name}.parquet")
        _write_household_tables(con, tables, tmp)
        if promotions and tables.has("raw_promotions"):
            _copy(con, "SELECT product_id, store_id, week, display, mailer FROM raw_promotions",
                  tmp / "promotions.parquet")
    con.close()
    return SynthResult(out=Path(out), households=len(plan), source_households=len(source_ids),
                       replicates=replicates, lines=int(lines), parts=parts, seconds=time.perf_counter() - t0)


__all__ = ["synthesize", "household_plan", "SynthResult", "DEFAULT_MAX_SHIFT_DAYS", "DEFAULT_CHUNK_HOUSEHOLDS"]
