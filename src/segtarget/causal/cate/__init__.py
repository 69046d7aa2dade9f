"""Heterogeneous effects: the CATE model zoo, tuning, selection, evaluation, refutation and interpretation."""
