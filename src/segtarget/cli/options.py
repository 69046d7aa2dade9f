"""Options shared by commands: ``--cost`` and ``--margin`` of ``segtarget run`` and ``segtarget causal``, which
set the same config keys (``policy.cost``, ``policy.margin``) with the same defaults."""

from __future__ import annotations

import math

COST_HELP = "contact cost per household in dollars (print + postage; policy.cost; default: an assumed $1.00, shown " \
            "in the report)"
MARGIN_HELP = "gross margin on incremental sales, in (0, 1] (policy.margin; default 0.30)"


def money_overrides(cost: str | None, margin: str | None) -> list[str]:
    """``policy.cost=`` / ``policy.margin=`` overrides from --cost and --margin, or a one-line error naming the flag."""
    from ..errors import SegtargetError

    out = []
    for flag, key, text, ok, rule in (
            ("--cost", "policy.cost", cost, lambda v: v >= 0, "a number of dollars >= 0, e.g. --cost 0.75"),
            ("--margin", "policy.margin", margin, lambda v: 0 < v <= 1, "a number in (0, 1], e.g. --margin 0.3")):
        if text is None:
            continue
        try:
            v = float(text)
        except ValueError:
            raise SegtargetError(f"{flag} {text!r}: not a number; use {rule}") from None
        if not (math.isfinite(v) and ok(v)):
            raise SegtargetError(f"{flag} {text}: out of range; use {rule}")
        out.append(f"{key}={v}")
    return out
