"""Average campaign effects on a third of the study units: the study design, nuisances, the ATE family.

Uses the top-level ``segtarget`` API; writes nothing. Runs in about 15 seconds:
    python docs/examples/02_effects.py
"""

import pandas as pd

import segtarget as st

pd.set_option("display.width", 120)

tables = st.load_source("completejourney")
cohort = st.build_design(tables, st.DesignConfig())  # one row per (household, Type A campaign trial)
print(f"design {cohort.design}: {len(cohort.data)} units, {len(cohort.covariates)} covariates, "
      f"outcomes {', '.join(cohort.outcomes)}")
print(cohort.summary_frame()[["index_campaign", "n_treated", "n_control"]].to_string(index=False))

# A third of the households (all their trials) keeps the example fast; the run uses every unit.
units = cohort.data[cohort.data["household_id"] % 3 == 0].reset_index(drop=True)
X = units[list(cohort.covariates)]
T = units["treated"].to_numpy()
Y = units["purchase_amount"].to_numpy()
households = units["household_id"].to_numpy()  # one household is a unit in several trials: cluster on it

nuisances = st.crossfit_nuisances(Y, T, X, n_folds=3, random_state=0, groups=households)
print(nuisances.summary_frame().to_string(index=False))

family = st.weighting_family(Y, T, X.to_numpy(float), nuisances, random_state=0, groups=households,
                             strata=units["index_campaign"].to_numpy())
table = st.estimates_frame(family, "purchase_amount")
print(table[["method", "estimand", "estimate", "ci_lower", "ci_upper"]].round(1).to_string(index=False))
aipw = st.aipw(Y, T, nuisances, groups=households)
print(f"AIPW ATE on campaign-window sales: {aipw.estimate:,.0f} dollars "
      f"(95% CI {aipw.ci_lower:,.0f} to {aipw.ci_upper:,.0f}, n = {aipw.n})")
