"""stats.py: the interval quantile and the p-value every result object reports."""

import math

import pytest
from scipy.stats import norm

from segtarget.errors import SegtargetError
from segtarget.stats import Z95, check_alpha, two_sided_p, z_value


def test_z_value_is_the_two_sided_normal_quantile():
    assert z_value() == Z95 and z_value(0.05) == Z95  # the default keeps the literal's exact bits
    assert z_value(0.10) == pytest.approx(norm.ppf(0.95)) and z_value(0.01) == pytest.approx(norm.ppf(0.995))


def test_two_sided_p_is_the_normal_approximation():
    assert two_sided_p(1.959963984540054, 1.0) == pytest.approx(0.05)
    assert two_sided_p(-3.0, 1.5) == pytest.approx(2 * norm.sf(2.0))
    assert two_sided_p(0.0, 1.0) == 1.0
    for se in (0.0, -1.0, math.inf, math.nan):
        assert math.isnan(two_sided_p(1.0, se))


@pytest.mark.parametrize("bad", [0, 1, -0.1, 2, "x", None])
def test_alpha_outside_zero_one_is_a_one_line_error(bad):
    with pytest.raises(SegtargetError, match=r"^alpha = .*: use a level in \(0, 1\)"):
        check_alpha(bad)
    with pytest.raises(SegtargetError, match="^policy.alpha = "):
        check_alpha(bad, "policy.alpha")
