"""Causal stage: ``design`` (who is treated, when, against whom), ``ate`` (average effects), ``cate``
(heterogeneous effects), ``event`` (panel event study), ``validation`` (checks against known truth); the
cross-fitted nuisances all of them share live in ``nuisance``."""
