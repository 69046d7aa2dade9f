"""Whom to target: out-of-fold CATEs from two zoo learners, their ranking quality, and policy values.

Uses the top-level ``segtarget`` API; writes nothing. Runs in about 20 seconds:
    python docs/examples/03_policy.py
"""

import numpy as np
import pandas as pd

import segtarget as st

pd.set_option("display.width", 120)

cfg = st.load_config()  # defaults; margin and contact cost come from the policy section
tables = st.load_source("completejourney")
cohort = st.build_design(tables, cfg.design)
units = cohort.data[cohort.data["household_id"] % 3 == 0].reset_index(drop=True)
X = units[list(cohort.covariates)]
T = units["treated"].to_numpy()
Y = units["purchase_amount"].to_numpy()
households = units["household_id"].to_numpy()

nuisances = st.crossfit_nuisances(Y, T, X, n_folds=3, random_state=0, groups=households)
psi = st.dr_scores(Y, T, nuisances)  # doubly-robust effect score per unit: the yardstick for every rule

# Every unit's CATE comes from a model that did not see it (same folds as the nuisances).
oof = st.oof_cate_many({"t": None, "linear_dml": None}, Y, T, X, nuisances.folds, random_state=0)
for name, pred in oof.items():
    ranking = st.evaluate_ranking(psi, pred.cate, n_boot=100, random_state=0).summary_frame()
    autoc = ranking.set_index("target").loc["AUTOC"]
    print(f"{name:>10}: mean CATE ${pred.cate.mean():7.1f}, AUTOC {autoc['estimate']:7.1f} "
          f"(95% CI {autoc['ci_lower']:.1f} to {autoc['ci_upper']:.1f})")

# Contact a unit when its CATE pays for the contact: margin x CATE > cost.
margin, cost = cfg.policy.margin, cfg.policy.contact_cost  # the assumed $1.00 unless policy.cost is set
cate = oof["linear_dml"].cate
policies = {"CATE > breakeven": (margin * cate > cost).astype(float), "everyone": np.ones(len(Y)),
            "no one": np.zeros(len(Y))}
values = st.value_frame(policies, psi, cate, margin=margin, cost=cost, groups=households)
print(values[["policy", "method", "n_targeted", "profit", "ci_lower", "ci_upper"]].round(0).to_string(index=False))

# A fitted model scores households it has never seen (here: the first three units again).
model = st.CateModel("linear_dml", random_state=0).fit(Y, T, X=X)
lower, upper = model.effect_interval(X.head(3), alpha=0.1)
print("CATE of three units:", model.effect(X.head(3)).round(1).tolist(),
      "90% bounds:", list(zip(lower.round(1).tolist(), upper.round(1).tolist())))
