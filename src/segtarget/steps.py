"""Steps of the one run that join stages: pre-period segments, migration, the retail run's extra policy inputs,
the event study with its fallback, and the next campaign's target list (the run itself is
:mod:`segtarget.pipeline`; the decision path it shares with ``segtarget causal`` is :mod:`segtarget.decision`)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .config import Config
from .errors import SegtargetError

PRIMARY = "purchase_amount"


def pre_period_config(cfg: Config, seg_result):
    """Track 1's settings with its chosen ranks, no bootstrap and no figures: the pre-period segmentation."""
    head = seg_result.headline
    return dataclasses.replace(cfg.segments, n_bootstrap=0, figures=False, nmf_k=int(head["nmf_k"]),
                               kmeans_k=int(head["kmeans_k"]))


def pre_period_segments(tables, cohort, seg_result, cfg: Config):
    """A segmentation fit on look-back features only, so Track 2 never sees post-campaign behaviour.

    Track 1 describes the whole year; its features include the campaign weeks. For targeting we refit the
    same pipeline (same feature set and k's as Track 1) on features over the look-back window before the
    first trial with a full-length look-back, and assign every cohort unit from the features of its own
    look-back (stored in the cohort, so a household in two trials can sit in two segments).
    """
    from .features import compute_features
    from .segments.pipeline import compute_segments

    w = cohort.windows.sort_values("start_date")
    if "short_history" in w and (~w["short_history"].astype(bool)).any():
        w = w[~w["short_history"].astype(bool)]
    w = w.iloc[0]
    feats = compute_features(tables, start=w.lookback_start, end=w.start_date, reference_point="window_end")
    return compute_segments(feats, pre_period_config(cfg, seg_result), seed=cfg.run.seed, n_jobs=cfg.run.n_jobs,
                            backend=cfg.run.parallel_backend)


def compute_migration_step(tables, seg_result, cfg: Config):
    """Track 1 migration: the Track-1 model's settings at quarter level, moves and at-risk households."""
    from .segments.migration_run import MigrationRun, compute_migration
    from .segments.quarters import quarterly_features

    sc = cfg.segments
    try:
        by_quarter = quarterly_features(tables, f"data {tables.source}")
        res, model = compute_migration(seg_result.model, by_quarter, uncertain_ratio=sc.migration_uncertain_ratio,
                                       n_boot=sc.migration_n_bootstrap, n_jobs=cfg.run.n_jobs,
                                       backend=cfg.run.parallel_backend)
    except SegtargetError as exc:  # e.g. under two quarters of data: the rest of the run still stands
        return MigrationRun(None, None, f"Segment migration skipped: {exc}")
    return MigrationRun(res, model)


def retail_policy_extras(tables, cohort, cohort_segments) -> dict:
    """What only the retail run adds to the policy inputs of :mod:`segtarget.decision`: the trial and the
    pre-period segment per unit, the comparison cost rules, Type A contacts per week, and for the A/B plan the
    households a test could randomise (the target list's households with no Type A mailer yet)."""
    from .policy.cost_data import cost_table, typea_contacts_per_week
    from .policy.eligibility import eligibility

    d = cohort.data
    pop = eligibility(tables, cohort.lookback_days)
    return dict(index_campaign=d["index_campaign"].to_numpy(),
                segment=cohort_segments["segment_name"].reset_index(drop=True),
                cost_data=cost_table(tables, d), contacts_per_week=typea_contacts_per_week(tables),
                eligible_households=None if pop is None else pop.eligible,
                panel_households=None if pop is None else pop.panel)


def headline_influence_of(cohort, ate_res, cfg: Config):
    """The ATE headline's influence per design unit for the event study's outcome (first cross-fitting split,
    the ATE stage's covariates and seed): what the design-difference test resamples by household."""
    from .causal.ate.estimators import headline_influence
    from .causal.event.triangulation import ES_OUTCOME

    outcome = ES_OUTCOME[cfg.event_study.outcome]
    if outcome not in ate_res.headline:
        return None
    d = cohort.data
    X = d[list(ate_res.covariates)].to_numpy(float)
    return headline_influence(ate_res.headline[outcome]["method"], d[outcome].to_numpy(float),
                              d["treated"].to_numpy(int), ate_res.nuisances[outcome], X, seed=cfg.run.seed)[1]


def event_study_step(tables, cohort, ate_res, cohort_segments, cfg: Config, cache, key: str,
                     warnings: list[str]):
    """Panel event study + triangulation on the study design's units.

    None when event_study.enabled is off, or (with a warning) when the design leaves it nothing to estimate:
    the event study is a second opinion and must not stop the run."""
    if not cfg.event_study.enabled:
        return None
    from .causal.event.pipeline import compute_event_study
    from .causal.event.panel import design_units

    try:
        return cache.run("event-study", key, lambda: compute_event_study(
            tables, design_units(cohort.data, cohort.windows), cfg.event_study,
            segment=cohort_segments["segment_name"].to_numpy(), ate_table=ate_res.ate,
            ate_headline=ate_res.headline, dr_influence=headline_influence_of(cohort, ate_res, cfg), seed=cfg.run.seed,
            outcome_scale=getattr(cohort, "outcome_scale", "window total")))
    except SegtargetError as exc:
        warnings.append(f"event study skipped: {exc}")
        return None


def next_campaign_targets(tables, cohort, covariates: list[str], cate_res, pre_model, pol, cfg: Config,
                          ps_model: str) -> pd.DataFrame:
    """Score every current household from features built exactly as in the design's look-back.

    The look-back window has the design's length and ends the day after the last transaction; recency is
    measured from the window end (``reference_point="window_end"``), households without a basket in it get
    the design's explicit zeros, and index-campaign dummies stay 0 (the reference campaign's level).
    Households that the ATE's propensity learner puts outside the overlap band get "test first", and so do
    households that already had a Type A mailer: the trials estimate the effect of a *first* one
    (``in_study_population`` false; see policy/eligibility.py).
    """
    from .causal.cate.zoo import effect_with_interval
    from .causal.design.covariates import covariates_at
    from .policy.eligibility import current_households, scoring_start, typea_mailed
    from .policy.targets import build_target_list

    households = current_households(tables, cohort.lookback_days)
    feats = covariates_at(tables, scoring_start(tables), cohort.lookback_days, households=households)
    # Trial dummies stay 0: the next campaign is scored at the reference (first) trial's level.
    X = pd.DataFrame({c: feats[c] if c in feats else 0.0 for c in covariates})
    cate, lower, upper = effect_with_interval(cate_res.final_model, X)
    segs = pre_model.assign(feats)
    e = _propensity_for(cohort, covariates, X, ps_model, cfg.run.seed)
    lo, hi = cfg.policy.overlap
    mailed = typea_mailed(tables, feats["household_id"])
    return build_target_list(feats["household_id"].to_numpy(), segs["segment_name"].to_numpy(), cate, lower, upper,
                             breakeven=pol.economics.breakeven, rule=pol.target_rule,
                             in_overlap=(e >= lo) & (e <= hi), verdict=pol.verdict.kind,
                             in_study_population=None if mailed is None else ~mailed, propensity=e)


def next_campaign_assignment(targets: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """The A/B assignment a retailer can run: every household of the target list inside the study population
    (no Type A mailer yet: the eligible households the A/B plan counts), once each, randomised within
    segment x propensity-region strata; the epsilon-greedy alternative follows the list's "contact" decisions."""
    from .policy.abdesign import assignment_frame

    t = targets[targets["in_study_population"].astype(bool)]
    return assignment_frame(t["household_id"].to_numpy(), t["segment"], t["propensity"].to_numpy(float),
                            (t["decision"] == "contact").to_numpy(float), overlap=cfg.policy.overlap,
                            allocation=cfg.policy.allocation, epsilon=cfg.policy.epsilon, seed=cfg.run.seed)


def _propensity_for(cohort, covariates: list[str], X: pd.DataFrame, ps_model: str, seed: int) -> np.ndarray:
    """Propensity of new households for the overlap flag, from the learner the cross-fitted ATE selected.

    The band that splits the cohort into "valued" and "test first" is defined on that learner's out-of-fold
    propensities; scoring new households with another model family (it used to be a logistic regression
    whatever the ATE chose) would draw the band in a different place."""
    from sklearn.base import clone

    from .causal.nuisance import propensity_candidates

    model = clone(propensity_candidates(seed)[ps_model])
    model.fit(cohort.data[covariates].to_numpy(float), cohort.data["treated"].to_numpy(int))
    return model.predict_proba(X.to_numpy(float))[:, 1]
