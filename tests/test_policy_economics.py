import numpy as np
import pandas as pd
import pytest

from segtarget.config import load_config
from segtarget.errors import SegtargetError
from segtarget.policy.config import DEFAULT_CONTACT_COST, PolicyConfig
from segtarget.policy.economics import index_campaign_cost, make_economics, reference_cost


def _cost_data():
    return pd.DataFrame({
        "household_id": [1, 2, 3, 4, 5, 6],
        "treated": [1, 1, 1, 1, 0, 0],
        "index_campaign_coupon_disc": [0.0, 2.0, 4.0, 6.0, 9.0, 0.0],
        "ever_typeA_pool_coupon_disc": [0.0, 10.0, 20.0, 0.0, 30.0, 0.0],
    })


def test_index_campaign_rule_averages_all_targeted_households_including_zeros():
    est = index_campaign_cost(_cost_data())
    assert est.cost == pytest.approx(3.0)  # (0 + 2 + 4 + 6) / 4; the control's 9 is ignored
    se = np.std([0, 2, 4, 6], ddof=1) / 2
    assert est.se == pytest.approx(se)
    assert est.ci_lower == pytest.approx(3.0 - 1.959964 * se, rel=1e-5)
    assert est.n_households == 4


def test_reference_rule_is_mean_over_coupon_users_only():
    est = reference_cost(_cost_data())
    assert est.cost == pytest.approx(20.0)  # (10 + 20 + 30) / 3
    assert est.n_households == 3


def test_contact_cost_is_an_explicit_assumption_and_data_rules_are_for_comparison():
    econ = make_economics(PolicyConfig(margin=0.25), _cost_data())
    assert econ.cost == DEFAULT_CONTACT_COST and econ.is_default_cost
    assert econ.breakeven == pytest.approx(DEFAULT_CONTACT_COST / 0.25)
    assert {a.rule for a in econ.alternatives} == {"index_campaign", "reference"}
    assert econ.reference_cost == pytest.approx(20.0)
    line = econ.assumption_line()
    assert "$1.00" in line and "assumed default" in line and "--cost" in line
    frame = econ.summary_frame()
    assert {"contact cost per household", "margin", "break-even sales effect"} <= set(frame["quantity"])


def test_configured_cost_is_stated_as_given():
    econ = make_economics(PolicyConfig(cost=0.6, margin=0.30), None)
    assert econ.cost == 0.6 and not econ.is_default_cost and "as given" in econ.assumption_line()
    assert econ.alternatives == () and econ.reference_cost is None
    assert econ.discount == ("retailer_discount",)
    # typing the default value explicitly is a choice the user made, not an assumption of ours
    typed = make_economics(load_config(overrides=[f"policy.cost={DEFAULT_CONTACT_COST}"]).policy, None)
    assert typed.cost == DEFAULT_CONTACT_COST and not typed.is_default_cost and "as given" in typed.assumption_line()
    both = make_economics(PolicyConfig(coupons_retailer_funded=True), None)
    assert both.discount == ("retailer_discount", "coupon_discount")


def test_missing_cost_data_columns_is_a_one_line_error():
    with pytest.raises(SegtargetError, match="missing column"):
        make_economics(PolicyConfig(), _cost_data().drop(columns="treated"))


def test_design_column_name_is_accepted_and_reference_column_is_optional():
    df = _cost_data().rename(columns={"index_campaign_coupon_disc": "coupon_disc_index"})
    econ = make_economics(PolicyConfig(), df.drop(columns="ever_typeA_pool_coupon_disc"))
    assert [a.rule for a in econ.alternatives] == ["index_campaign"] and econ.reference_cost is None
