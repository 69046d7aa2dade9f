import pytest

from segtarget.config import load_config
from segtarget.errors import SegtargetError
from segtarget.policy.config import PolicyConfig, validate_policy_config


def test_defaults_are_valid_and_overrides_are_typed():
    validate_policy_config(PolicyConfig())
    cfg = load_config(overrides=["policy.cost=5", "policy.top_k=[10, 25]", "policy.overlap=[0.05, 0.95]"])
    assert cfg.policy.cost == 5.0 and cfg.policy.top_k == (10, 25) and cfg.policy.overlap == (0.05, 0.95)


@pytest.mark.parametrize("kwargs, key", [
    ({"margin": 0}, "policy.margin"), ({"tree_depth": 4}, "policy.tree_depth"),
    ({"cost": -1.0}, "policy.cost"), ({"cost": float("nan")}, "policy.cost"), ({"margin": 1.5}, "policy.margin"), ({"allocation": 1.0}, "policy.allocation"),
    ({"epsilon": 0.0}, "policy.epsilon"), ({"overlap": (0.9, 0.1)}, "policy.overlap"),
])
def test_bad_values_name_the_key(kwargs, key):
    with pytest.raises(SegtargetError, match="^" + key.replace(".", r"\.") + " must be"):
        PolicyConfig(**kwargs)  # on construction, before any analysis


def test_validate_policy_config_rechecks_a_config_changed_in_place():
    cfg = PolicyConfig()
    object.__setattr__(cfg, "margin", 2.0)  # what the frozen dataclass otherwise prevents
    with pytest.raises(SegtargetError, match=r"policy\.margin must be in \(0, 1\], got 2\.0"):
        validate_policy_config(cfg)
