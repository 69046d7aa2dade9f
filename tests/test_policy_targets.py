import numpy as np
import pytest

from segtarget.errors import SegtargetError
import pandas as pd

from segtarget.policy.targets import TARGET_COLUMNS, build_target_list, parse_rule, write_targets


def _inputs():
    cate = np.array([50.0, 10.0, 45.0, -5.0, 30.0])
    return dict(household_id=np.array([11, 12, 13, 14, 15]), segment=["a", "b", "a", "b", "a"],
                cate=cate, lower=cate - 20, upper=cate + 20)


def test_breakeven_rule_with_reasons_and_overlap_flag():
    df = build_target_list(**_inputs(), breakeven=20.0, rule="CATE > break-even",
                           in_overlap=[True, True, False, True, True])
    assert list(df.columns) == TARGET_COLUMNS
    assert list(df["household_id"]) == [11, 13, 15, 12, 14]  # sorted by CATE
    dec = dict(zip(df["household_id"], df["decision"]))
    assert dec == {11: "contact", 13: "test first", 15: "contact", 12: "do not contact", 14: "do not contact"}
    reason = dict(zip(df["household_id"], df["reason"]))
    assert "exceed the break-even $20.00" in reason[11] and "test first" in reason[13]
    assert "-$5.00" in reason[14] and "test" not in reason[11]


@pytest.mark.parametrize("verdict, decision", [("contact everyone", "contact"), ("contact no one", "do not contact"),
                                               ("inconclusive: run this test", "test")])
def test_the_verdict_gates_the_decisions(verdict, decision):
    df = build_target_list(**_inputs(), breakeven=20.0, rule="CATE > break-even", verdict=verdict,
                           in_overlap=[True, True, False, True, True])
    assert set(df.loc[df["in_overlap"], "decision"]) == {decision}
    assert set(df.loc[~df["in_overlap"], "decision"]) == {"test first"}


def test_written_file_starts_with_the_verdict(tmp_path):
    df = build_target_list(**_inputs(), breakeven=20.0, rule="CATE > break-even")
    write_targets(df, tmp_path / "t.csv", "Contact no one: it loses money.", "Contact cost $1.00.")
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert lines[0] == "# Contact no one: it loses money." and lines[1].startswith("# Contact cost")
    back = pd.read_csv(tmp_path / "t.csv", comment="#")
    assert list(back.columns) == TARGET_COLUMNS and len(back) == 5


def test_conservative_and_top_rules():
    cons = build_target_list(**_inputs(), breakeven=20.0, rule="conservative")
    assert set(cons.loc[cons["decision"] == "contact", "household_id"]) == {11, 13}
    top = build_target_list(**_inputs(), breakeven=20.0, rule="top 40%")
    assert set(top.loc[top["decision"] == "contact", "household_id"]) == {11, 13}
    assert top["reason"].str.contains("top 40%").all()


@pytest.mark.parametrize("text, parsed", [
    ("CATE > break-even", ("breakeven", None)), ("top 30%", ("top", 30.0)), ("top:5", ("top", 5.0)),
    ("risk-adjusted λ=0.5", ("risk", 0.5)), ("risk:0.7", ("risk", 0.7)), ("budget ≤ 100 households", ("budget", 100.0)),
    ("no one", ("none", None))])
def test_parse_rule(text, parsed):
    assert parse_rule(text) == parsed


def test_tree_policies_are_not_target_rules():
    with pytest.raises(SegtargetError, match="not a CATE-based rule"):
        build_target_list(**_inputs(), breakeven=20.0, rule="DRPolicyTree")


@pytest.mark.parametrize("verdict", ["target this group", "contact everyone", "inconclusive: run this test"])
def test_households_already_mailed_are_outside_the_study_population(verdict):
    from segtarget.policy.targets import OUTSIDE_STUDY, population_line

    study = [True, False, True, True, False]  # households 12 and 15 already had a Type A mailer
    df = build_target_list(**_inputs(), breakeven=20.0, rule="CATE > break-even", verdict=verdict,
                           in_overlap=[True, True, False, True, True], in_study_population=study)
    out = df[~df["in_study_population"]]
    assert set(out["household_id"]) == {12, 15} and set(out["decision"]) == {"test first"}
    assert (out["reason"] == OUTSIDE_STUDY).all()
    assert "test first" not in set(df.loc[df["household_id"] == 11, "decision"])
    # inside the study population first, each part by expected effect
    assert list(df["household_id"]) == [11, 13, 14, 15, 12]
    assert population_line(df).startswith("5 current households scored in targets.csv; 2 (40%) already had a "
                                          "Type A mailer")
    assert population_line(df).endswith("1 more get 'test first' for lying outside the overlap band")


def test_study_population_defaults_to_everyone_and_the_propensity_is_listed():
    df = build_target_list(**_inputs(), breakeven=20.0, rule="CATE > break-even")
    assert df["in_study_population"].all() and df["propensity"].isna().all()
    e = build_target_list(**_inputs(), breakeven=20.0, rule="CATE > break-even", propensity=[0.1, 0.2, 0.3, 0.4, 0.5])
    assert dict(zip(e["household_id"], e["propensity"])) == {11: 0.1, 12: 0.2, 13: 0.3, 14: 0.4, 15: 0.5}
    with pytest.raises(SegtargetError, match="in_study_population"):
        build_target_list(**_inputs(), breakeven=20.0, rule="CATE > break-even", in_study_population=[True])
