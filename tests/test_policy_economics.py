import numpy as np
import pandas as pd
import pytest

from segtarget.errors import SegtargetError
from segtarget.policy.config import PolicyConfig
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


def test_make_economics_derives_cost_and_breakeven_with_ci():
    econ = make_economics(PolicyConfig(margin=0.25, contact_cost=0.5), _cost_data())
    assert econ.cost == pytest.approx(3.5)
    assert econ.breakeven == pytest.approx(3.5 / 0.25)
    assert econ.breakeven_ci[0] == pytest.approx(econ.cost_ci[0] / 0.25)
    assert [a.rule for a in econ.alternatives] == ["reference"]
    frame = econ.summary_frame()
    assert {"cost per contact", "margin", "break-even CATE"} <= set(frame["quantity"])


def test_configured_cost_wins_and_alternatives_are_still_shown():
    econ = make_economics(PolicyConfig(cost=12.73, margin=0.30), _cost_data())
    assert econ.cost == 12.73 and econ.breakeven == pytest.approx(42.4333, rel=1e-4)
    assert {a.rule for a in econ.alternatives} == {"index_campaign", "reference"}


def test_missing_cost_data_or_columns_is_a_one_line_error():
    with pytest.raises(SegtargetError, match="policy.cost"):
        make_economics(PolicyConfig(), None)
    with pytest.raises(SegtargetError, match="missing column"):
        make_economics(PolicyConfig(), _cost_data().drop(columns="treated"))
    zero = _cost_data().assign(index_campaign_coupon_disc=0.0)
    with pytest.raises(SegtargetError, match="derived cost per contact is 0"):
        make_economics(PolicyConfig(), zero)


def test_design_column_name_is_accepted_and_reference_column_is_optional():
    df = _cost_data().rename(columns={"index_campaign_coupon_disc": "coupon_disc_index"})
    econ = make_economics(PolicyConfig(), df.drop(columns="ever_typeA_pool_coupon_disc"))
    assert econ.cost == pytest.approx(3.0) and econ.alternatives == ()
    with pytest.raises(SegtargetError, match="ever_typeA_pool_coupon_disc"):
        make_economics(PolicyConfig(cost_rule="reference"), df.drop(columns="ever_typeA_pool_coupon_disc"))
    assert make_economics(PolicyConfig(cost_rule="reference"), df).cost == pytest.approx(20.0)
