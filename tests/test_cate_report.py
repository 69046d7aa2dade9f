"""The CATE report's method note names the learners that ran, from the registry."""

from __future__ import annotations

from segtarget.causal.cate.registry import BUILTIN_NAMES, Learner, register_learner, unregister_learner
from segtarget.causal.cate.report import learners_note


def test_learners_note_counts_and_labels_the_learners_that_ran():
    note = learners_note(BUILTIN_NAMES)
    assert note.startswith("Seven CATE learners (S-learner, T-learner, X-learner, DR-learner, R-learner, "
                           "LinearDML, CausalForestDML;") and "LightGBM" in note and "Ensemble" not in note
    assert learners_note(("t", "ensemble")).startswith("One CATE learner (T-learner;")
    assert learners_note(("t", "ensemble")).endswith("and the mean of the three best (Ensemble).")


def test_learners_note_reads_registered_learners():
    register_learner(Learner("const", "Constant", lambda p, s: None, lambda cfg: {}))
    try:
        note = learners_note(("const",))
    finally:
        unregister_learner("const")
    assert note.startswith("One CATE learner (Constant;") and "LightGBM" not in note
