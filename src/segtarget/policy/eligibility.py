"""Whom the trials speak for: current households that have not had a Type A mailer yet.

The study design estimates the effect of a household's *first* Type A mailer: treated units are members of
their first Type A campaign, controls are households no Type A campaign has reached yet. A household that
already had a Type A mailer is outside that population; the estimate says nothing about a second or later
mailer, so the target list flags it (``in_study_population`` false, decision "test first") and the A/B plan
counts only the others as eligible.

* **panel**: every household with a transaction in the data;
* **current**: households with a basket in the look-back window that ends the day after the data (the
  households the next campaign's target list scores);
* **eligible**: current households that are not members of any Type A campaign.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from ..data.db import first_row

_MAILED = """SELECT DISTINCT m.household_id FROM campaign_members m JOIN campaigns c USING (campaign_id)
             WHERE c.campaign_type = 'A'"""


@dataclass(frozen=True)
class Eligibility:
    """Household counts behind the A/B plan (see module docstring)."""

    panel: int
    current: int
    eligible: int

    def summary_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"panel_households": self.panel, "current_households": self.current,
                              "eligible_households": self.eligible}])


def scoring_start(tables) -> date:
    """The day after the last transaction: the next campaign's start as far as the data can tell."""
    return first_row(tables.con, "SELECT max(date) FROM clean_transactions")[0] + timedelta(days=1)


def current_households(tables, lookback_days: int) -> np.ndarray:
    """Households with a basket in the ``lookback_days`` before :func:`scoring_start`, sorted."""
    start = scoring_start(tables)
    return tables.con.execute("SELECT DISTINCT household_id FROM clean_transactions WHERE date >= ? AND date < ? "
                              "ORDER BY 1", [start - timedelta(days=int(lookback_days)), start]
                              ).df()["household_id"].to_numpy()


def typea_mailed(tables, household_ids) -> np.ndarray | None:
    """Per household: True when it is already a member of a Type A campaign (None without campaign tables)."""
    if not (tables.has("campaigns") and tables.has("campaign_members")):
        return None
    mailed = set(tables.con.execute(_MAILED).df()["household_id"].tolist())
    return np.array([h in mailed for h in np.asarray(household_ids).tolist()], dtype=bool)


def eligibility(tables, lookback_days: int) -> Eligibility | None:
    """Panel, current and eligible household counts (None without campaign tables)."""
    cur = current_households(tables, lookback_days)
    mailed = typea_mailed(tables, cur)
    if mailed is None:
        return None
    panel = int(first_row(tables.con, "SELECT count(DISTINCT household_id) FROM clean_transactions")[0])
    return Eligibility(panel=panel, current=len(cur), eligible=int((~mailed).sum()))
