"""The next campaign's target list: one row per current household with a decision and a plain reason.

``rule`` is one of the CATE-based rules of :mod:`segtarget.policy.rules`, written as its policy name or a
short form:

* ``CATE > break-even`` / ``breakeven``; ``CATE > 0`` / ``positive``;
* ``top K%`` / ``top:K``; ``budget ≤ N households`` / ``budget:N``;
* ``conservative``; ``risk-adjusted λ=L`` / ``risk:L``;
* ``everyone``; ``no one``.

``cate``, ``lower`` and ``upper`` are the expected extra sales from contacting the household and its 95%
interval. ``propensity`` (optional) is the household's probability of a Type A mailer under past practice.
``in_overlap`` (optional, boolean) marks households whose kind was both contacted and not
contacted in the past data; they get the decision "test first" (the estimate would lean on extrapolation).

``in_study_population`` (optional, boolean; default all true) marks households the trials speak for: no
Type A mailer yet (:mod:`segtarget.policy.eligibility`). The trials estimate the effect of a household's
*first* Type A mailer, so a household that already had one keeps its score for reference but gets
"test first" whatever the verdict, with the reason "outside the study population"; the list puts the
households inside the study population first.

``verdict`` (optional; one of :data:`segtarget.policy.verdict.VERDICTS`) gates the decisions: "target this
group" applies the rule; "contact everyone" / "contact no one" give every in-overlap household that
decision; "inconclusive: run this test" gives "test" (randomise it in the decision test) to everyone.
The file written by :func:`write_targets` starts with ``#`` comment lines: the verdict sentence first,
then the cost assumption (read it with ``pandas.read_csv(path, comment="#")``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import SegtargetError, require
from .rules import budget_policy, risk_adjusted_policy, threshold_policy, top_k_policy
from ..report.format import money

TARGET_COLUMNS = ["household_id", "segment", "cate", "lower", "upper", "propensity", "in_overlap",
                  "in_study_population", "decision", "reason"]
_FORMS = "'CATE > break-even', 'CATE > 0', 'top K%', 'budget:N', 'conservative', 'risk:L', 'everyone', 'no one'"


def parse_rule(rule: str) -> tuple[str, float | None]:
    """(kind, parameter) of a rule name; kind in breakeven, positive, top, budget, risk, everyone, none."""
    r = " ".join(str(rule).strip().lower().split())
    fixed = {"cate > break-even": ("breakeven", None), "breakeven": ("breakeven", None),
             "break-even": ("breakeven", None), "cate > 0": ("positive", None), "positive": ("positive", None),
             "conservative": ("risk", 1.0), "everyone": ("everyone", None), "no one": ("none", None),
             "none": ("none", None)}
    if r in fixed:
        return fixed[r]
    patterns = [(r"^top[: ]\s*([0-9.]+)\s*%?$", "top"), (r"^budget(?: ≤|:)\s*([0-9]+)(?: households)?$", "budget"),
                (r"^risk(?:-adjusted λ=|:)\s*([0-9.]+)$", "risk")]
    for pat, kind in patterns:
        m = re.match(pat, r)
        if m:
            return kind, float(m.group(1))
    raise SegtargetError(f"target rule {rule!r} is not a CATE-based rule; use one of {_FORMS}")


def _decide(kind: str, param, cate, lower, be: float) -> np.ndarray:
    if kind == "breakeven":
        return threshold_policy(cate, be)
    if kind == "positive":
        return threshold_policy(cate, 0.0)
    if kind == "top":
        return top_k_policy(cate, param)
    if kind == "budget":
        return budget_policy(cate, be, int(param))
    if kind == "risk":
        return risk_adjusted_policy(cate, np.nan_to_num(lower, nan=-np.inf), param, be)
    return np.full(len(cate), 1.0 if kind == "everyone" else 0.0)


def _reason(kind: str, param, contact: bool, c: float, lo: float, be: float) -> str:
    sales = f"expected extra sales {money(c, 2)}"
    if kind == "everyone":
        return "every household is contacted under this rule"
    if kind == "none":
        return "nobody is contacted under this rule"
    if kind == "positive":
        return f"{sales} {'are above' if contact else 'are not above'} $0"
    if kind == "top":
        return f"{sales} {'rank' if contact else 'do not rank'} in the top {param:g}% of households"
    if kind == "budget" and c > be and not contact:
        return f"{sales} exceed break-even {money(be, 2)} but the budget of {int(param)} contacts is used up"
    if kind == "risk" and c > be:
        pess = f"pessimistic estimate (λ={param:g}) {money((1 - param) * c + param * lo, 2)}"
        return f"{sales}; {pess} {'exceeds' if contact else 'does not exceed'} break-even {money(be, 2)}"
    verb = "exceed" if contact else "do not exceed"
    return f"{sales} {verb} the break-even {money(be, 2)} (cost per contact / margin)"


_UNIFORM = {"contact everyone": ("contact", "the evidence supports contacting every household"),
            "contact no one": ("do not contact", "the evidence says contacting does not pay"),
            "inconclusive: run this test": ("test", "no policy is supported by the evidence yet: randomise "
                                                    "this household in the decision test (ab_decision_test.csv)")}


OUTSIDE_STUDY = ("outside the study population (already had a Type A mailer; the trials estimate the effect of a "
                 "first one), so no estimate applies: test first")


def build_target_list(household_id, segment, cate, lower, upper, *, breakeven: float, rule: str,
                      in_overlap=None, verdict: str = "target this group", in_study_population=None,
                      propensity=None) -> pd.DataFrame:
    """One row per household: the ``targets.csv`` columns, a decision and a plain reason (see module)."""
    cate = np.asarray(cate, float)
    n = len(cate)
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    hh = np.asarray(household_id)
    seg = np.full(n, "all", dtype=object) if segment is None else pd.Series(segment).astype(str).to_numpy()
    require(len(hh) == n and len(seg) == n and len(lower) == n and len(upper) == n,
            "target list: household_id, segment, cate, lower and upper must have the same length")
    require(np.isfinite(cate).all(), "target list: cate has missing or infinite values")
    require(np.isfinite(breakeven), "target list: breakeven must be a finite number")
    kind, param = parse_rule(rule)
    pi = _decide(kind, param, cate, lower, breakeven)
    ov = np.ones(n, bool) if in_overlap is None else np.asarray(in_overlap, bool)
    decision = np.where(pi > 0.5, "contact", "do not contact").astype(object)
    reasons = [_reason(kind, param, bool(pi[i]), cate[i], lower[i], breakeven) for i in range(n)]
    if verdict in _UNIFORM:
        d, why = _UNIFORM[verdict]
        decision[:] = d
        reasons = [f"{why}; {r}" for r in reasons]
    study = np.ones(n, bool) if in_study_population is None else np.asarray(in_study_population, bool)
    require(len(ov) == n and len(study) == n, "target list: in_overlap and in_study_population need one value "
                                              "per household")
    for i in np.flatnonzero(~ov):
        decision[i] = "test first"
        reasons[i] = ("few comparable households were treated differently in the past (propensity outside the "
                      "overlap band), so no estimate is trusted: include it in a test first")
    for i in np.flatnonzero(~study):  # the more basic reason wins: the estimate is not about this household
        decision[i], reasons[i] = "test first", OUTSIDE_STUDY
    e = np.full(n, np.nan) if propensity is None else np.asarray(propensity, float)
    require(len(e) == n, "target list: propensity needs one value per household")
    df = pd.DataFrame({"household_id": hh, "segment": seg, "cate": cate, "lower": lower, "upper": upper,
                       "propensity": e, "in_overlap": ov, "in_study_population": study, "decision": decision,
                       "reason": reasons})
    # households the trials speak for first, each group by expected effect
    return df.sort_values(["in_study_population", "cate"], ascending=False, kind="stable", ignore_index=True)


def population_line(targets: pd.DataFrame) -> str:
    """How many listed households the trials speak for, in one line (the report's first screen)."""
    n = len(targets)
    study = (targets["in_study_population"].astype(bool) if "in_study_population" in targets
             else pd.Series(True, index=targets.index))
    out, off = int((~study).sum()), int((study & ~targets["in_overlap"].astype(bool)).sum())
    return (f"{n:,} current households scored in targets.csv; {out:,} ({out / max(n, 1):.0%}) already had a Type A "
            f"mailer, so they are outside the study population (the trials estimate a first mailer's effect) and get "
            f"'test first'; {off:,} more get 'test first' for lying outside the overlap band")


def write_targets(targets: pd.DataFrame, path, verdict_sentence: str, assumption: str) -> None:
    """``targets.csv``: ``#`` lines with the verdict (first) and the cost assumption, then the table."""
    from pathlib import Path

    lines = [f"# {' '.join(str(verdict_sentence).split())}", f"# {' '.join(str(assumption).split())}"]
    Path(path).write_text("\n".join(lines) + "\n" + targets.to_csv(index=False))
