"""Report section of the panel event study: plot, tables (event_study.csv, triangulation.csv) and verdicts."""

from __future__ import annotations

import html

import pandas as pd

from ...plotting import pyplot
from ...io import OutputDir
from ...report.section import Figure, Section, Table, Text
from .config import EventStudyConfig
from .study import EventStudyResult
from .triangulation import format_p

NOTE = ("A weekly household × week panel is built for every unit of the study design (one household in one "
        "target trial), from {pre} weeks before the trial start to the end of its own outcome window (complete "
        "weeks only; a not-yet-treated control stops the week before its own campaign; weeks without a basket "
        "are zeros). The trials are stacked (stacked difference-in-differences; Cengiz et al. 2019, Wing et al. "
        "2024) and estimated with pyfixest; standard errors are clustered by household. Treated households are "
        "compared only with their own trial's controls in the same week that spent about as much before the "
        "start ({strata} equal-count bins of pre-period weekly spend per trial; 1 = none). The pooled ATT is "
        "one post-minus-pre difference in differences per trial × spend stratum (each with its own unit and "
        "week effects), averaged with weights equal to each stratum's treated households, so strata and trials "
        "count as they do among the treated (an effect on the treated, not a regression-variance-weighted "
        "average); treated households in a stratum without any control are left out and listed. Dynamic effects "
        "(relative to week −1) and the pre-trend test come from one regression with trial × stratum × week "
        "effects, so they weight strata by regression variance: a diagnostic, not the estimate. The pre-trend "
        "test is a joint Wald test that all pre-period effects are zero: a small p-value means treated and "
        "controls were already diverging, a large one does not prove parallel trends (low power against slow "
        "drifts, blind to shocks that start with the campaign). The strata matter both ways: households picked "
        "for a high spend before the mailer spend less afterwards whatever the mailer does (regression to the "
        "mean), which a plain DiD reads as a negative effect; but when treated and controls come from "
        "populations with different lasting spend levels, matching them on a noisy pre-period level creates "
        "regression to the mean of its own (Daw & Hatfield 2018) — benchmarks/RESULTS.md measures both on "
        "planted campaigns. Read the event study as a check on the headline, not as a replacement.")


def event_figure(dynamic: pd.DataFrame, pretrend: dict, ylabel: str):
    plt = pyplot()
    d = dynamic.sort_values("rel_week")
    fig, ax = plt.subplots(figsize=(7.5, 4))
    pre = d["rel_week"] < 0
    for mask, color, label in ((pre, "#7f7f7f", "before the start"), (~pre, "#1f77b4", "after the start")):
        s = d[mask]
        ax.errorbar(s["rel_week"], s["estimate"], yerr=[s["estimate"] - s["ci_lower"], s["ci_upper"] - s["estimate"]],
                    fmt="o", color=color, capsize=3, label=label)
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="#d62728", ls="--", lw=1)
    p = pretrend["p_value"]
    ax.set_title(f"Event study (reference week −1); pre-trend test p {format_p(p)}" if p == p else "Event study")
    ax.set_xlabel("week relative to the campaign start")
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, loc="upper left")
    return fig


def _verdict(res: EventStudyResult) -> str:
    p = res.pretrend["p_value"]
    o = res.overall
    pre = (f"Pre-trend test (weeks {res.pretrend['weeks']}, {res.pretrend['df']} restrictions): p {format_p(p)}. "
           + ("Treated and controls already diverged before the campaigns: the post-period differences are not "
              "credible as effects." if p < 0.05 else
              "No detectable divergence before the campaigns (which does not prove parallel trends)."))
    unit = "$" if res.outcome == "spend" else ""
    post = (f"Pooled post-period ATT: {o['estimate']:+,.2f} {unit}{res.outcome} per household-week "
            f"(95% CI {o['ci_lower']:+,.2f} to {o['ci_upper']:+,.2f}; {res.n_units:,} units, "
            f"{res.n_households:,} households).")
    return pre + " " + post


def event_sections(run, out: OutputDir, *, cfg: EventStudyConfig) -> list[Section]:
    """Write figures/event_study.png, tables/event_study.csv (and triangulation.csv) of ``run`` (a
    ``pipeline.EventStudyRun``) and describe them."""
    res, tri, sentence = run.result, run.triangulation, run.sentence
    table = res.summary_frame()
    ylabel = "effect on weekly spend ($)" if res.outcome == "spend" else f"effect on weekly {res.outcome}"
    blocks = [Text(f"<p><strong>Verdict.</strong> {html.escape(_verdict(res))}</p>"),
              Figure("event_study", out.figure("event_study", event_figure(res.dynamic, res.pretrend, ylabel)),
                     "Dynamic effects by week relative to the start, 95% CIs (household-clustered)"),
              Table("event_study_pooled", res.pooled, "Pooled post-period ATT per household-week: overall, per "
                    "trial and per pre-period segment", out.table("event_study", table)),
              Table("event_study_dynamic", res.dynamic, "Dynamic effects (reference week −1 is 0 by construction)")]
    if res.cells is not None:
        blocks.append(Table("event_study_strata", res.cells, "The DiD of each trial × pre-period spend stratum and "
                            "its weight in the overall ATT (its share of the treated)",
                            out.table("event_study_strata", res.cells)))
    if tri is not None:
        blocks += [Text(f"<p>{html.escape(sentence)}</p>"),
                   Table("triangulation", tri, "Triangulation: the same trials, window and scale; the last row "
                         "tests the difference of the two designs (household bootstrap)",
                         out.table("triangulation", tri))]
    warnings = [f"event study: left out {s}" for s in res.skipped]
    if res.pretrend["p_value"] < 0.05:
        warnings.append(f"event study: the pre-trend test rejects (p {format_p(res.pretrend['p_value'])}): treated and "
                        "controls diverged before the campaigns; do not read the event-study effect causally")
    o = res.overall
    head = {"pretrend_p": res.pretrend["p_value"], "att_per_week": o["estimate"], "att_ci": (o["ci_lower"],
                                                                                            o["ci_upper"])}
    if sentence:
        head["triangulation"] = sentence
    note = NOTE.format(pre=cfg.pre_weeks, strata=cfg.level_strata)
    return [Section("event_study", "Track 2: panel event study (stacked DiD)", note, blocks, warnings, head)]
