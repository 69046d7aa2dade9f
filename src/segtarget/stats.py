"""Statistical constants shared by every stage."""

from __future__ import annotations

from .errors import SegtargetError

# Two-sided 95% normal quantile, scipy.stats.norm.ppf(0.975) to full double precision (tests/test_layout.py
# checks it). A literal, not a scipy call, so importing it costs nothing at CLI start-up.
Z95 = 1.959963984540054


def check_alpha(alpha: float, where: str = "alpha") -> float:
    """``alpha`` as a float in (0, 1), or a one-line error naming ``where``."""
    try:
        ok = 0 < float(alpha) < 1
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise SegtargetError(f"{where} = {alpha!r}: use a level in (0, 1), e.g. 0.05 for 95% intervals")
    return float(alpha)


def z_value(alpha: float = 0.05) -> float:
    """Two-sided normal quantile of level ``alpha``: an interval estimate -/+ z_value(alpha) * SE covers with
    probability 1 - alpha. At 0.05 it is the literal Z95, so the default intervals keep their exact bits."""
    if alpha == 0.05:
        return Z95
    from scipy.stats import norm

    return float(norm.ppf(1 - check_alpha(alpha) / 2))


def two_sided_p(estimate: float, std_error: float) -> float:
    """Two-sided p-value of ``estimate = 0`` by the normal approximation: 2 (1 - Phi(|estimate| / std_error));
    NaN when the standard error is not positive and finite."""
    from scipy.stats import norm

    if not (std_error > 0 and abs(std_error) < float("inf")):
        return float("nan")
    return float(2 * norm.sf(abs(estimate) / std_error))
