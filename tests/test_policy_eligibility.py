"""policy/eligibility.py on the hand-made trials source (tests/fixtures_trials.py): households 1, 2 and 5 are
members of Type A campaigns, household 6 only of a Type B one; the data ends 2017-03-31."""

from datetime import date

from fixtures_trials import write

from segtarget.data import load_source
from segtarget.policy.eligibility import current_households, eligibility, scoring_start, typea_mailed


def _tables(tmp_path, **kw):
    return load_source(write(tmp_path / "src", **kw), validate=False)


def test_mailed_current_and_eligible_households(tmp_path):
    t = _tables(tmp_path)
    assert scoring_start(t) == date(2017, 4, 1)
    assert typea_mailed(t, [1, 2, 3, 4, 5, 6]).tolist() == [True, True, False, False, True, False]
    # 90 days back from 2017-04-01 reaches 2017-01-01: every household shopped in it
    assert current_households(t, 90).tolist() == [1, 2, 3, 4, 5, 6]
    e = eligibility(t, 90)
    assert (e.panel, e.current, e.eligible) == (6, 6, 3)
    # 30 days back: only household 3 (basket on 03-31) is current, and it was never mailed
    assert (eligibility(t, 30).current, eligibility(t, 30).eligible) == (1, 1)
    assert list(e.summary_frame().columns) == ["panel_households", "current_households", "eligible_households"]


def test_a_type_b_member_stays_eligible_and_a_source_without_type_a_has_everyone_eligible(tmp_path):
    t = _tables(tmp_path, members=[(6, 3)])
    assert typea_mailed(t, [1, 6]).tolist() == [False, False]
    e = eligibility(t, 90)
    assert (e.current, e.eligible) == (6, 6)
