"""Report section describing the study design: windows and cohort counts per index campaign."""

from __future__ import annotations

from ..io import OutputDir
from ..report.section import Section, Table
from .design import Cohort


def design_section(cohort: Cohort, out: OutputDir) -> Section:
    summary = cohort.summary_frame()
    means = (cohort.data.groupby("treated")[["purchase_amount", "purchase_count", "pre_spend_week", "redeemed"]]
             .mean().reset_index().rename(columns={"treated": "arm"}))
    means["arm"] = means["arm"].map({0: "control", 1: "treated"})
    return Section(
        key="design", title="Track 2: campaign study design",
        method_note=(f"Design '{cohort.design}'. Treated households are those targeted by their first Type A "
                     "campaign (the index campaign); controls were never targeted by a Type A campaign and are "
                     "attached to the first Type A window in which they shop. Covariates come from a look-back of "
                     f"the same length for everyone ({cohort.lookback_days} days before the index start, recency "
                     "measured from the day before the start), so treated and controls are measured alike. "
                     "Outcomes are summed from the campaign start to min(end + post weeks, next Type A start − 1 "
                     "day). Redemption is descriptive: controls receive no coupons."),
        blocks=[Table("design_windows", summary, "Windows and cohort counts per index campaign",
                      out.table("design_windows", summary)),
                Table("design_means", means, "Raw outcome means by arm (not causal)", out.table("design_means", means))],
        headline={"n_treated": int(cohort.data.treated.sum()), "n_control": int((cohort.data.treated == 0).sum()),
                  "design": cohort.design},
    )
