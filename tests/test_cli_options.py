"""--cost / --margin of run and causal: the same config keys, the same one-line errors."""

import pytest

from segtarget.cli.options import money_overrides
from segtarget.config import load_config
from segtarget.errors import SegtargetError


def test_flags_become_the_policy_keys_and_unset_keeps_the_config_default():
    assert money_overrides(None, None) == []
    assert money_overrides("0.75", "0.25") == ["policy.cost=0.75", "policy.margin=0.25"]
    assert load_config(None, money_overrides(None, None)).policy.contact_cost == 1.0  # the assumed default
    cfg = load_config(None, money_overrides("0", "1"))
    assert (cfg.policy.cost, cfg.policy.margin) == (0.0, 1.0)


@pytest.mark.parametrize("cost, margin, needle", [("abc", None, "--cost 'abc': not a number"),
                                                  ("-1", None, "--cost -1: out of range"),
                                                  ("nan", None, "--cost nan: out of range"),
                                                  (None, "0", "--margin 0: out of range"),
                                                  (None, "x", "--margin 'x': not a number")])
def test_bad_values_are_one_line_errors_naming_the_flag(cost, margin, needle):
    with pytest.raises(SegtargetError, match="^" + needle.replace("(", r"\(")) as e:
        money_overrides(cost, margin)
    assert "\n" not in str(e.value)
