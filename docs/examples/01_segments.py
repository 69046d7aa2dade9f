"""Segment a quarter of the embedded households and label the rest with the fitted model.

Uses the top-level ``segtarget`` API (and scikit-learn's ``clone``); writes nothing. Runs in a few seconds:
    python docs/examples/01_segments.py
"""

import numpy as np
from sklearn.base import clone

import segtarget as st

tables = st.load_source("completejourney")
features = st.compute_features(tables)  # one row per household: household_id + every feature
train = features[features["household_id"] % 4 == 0]
new = features[features["household_id"] % 4 != 0]
print(f"features: {features.shape[0]} households x {features.shape[1] - 1} features; training on {len(train)}")

# A scikit-learn estimator: parameters in __init__, fit returns self, fitted state ends with "_".
model = st.SegmentModel(n_factors=3, n_segments=5, n_init=4, random_state=0).fit(train)
sizes = np.bincount(model.labels_)
for (segment, name), size in zip(model.names_[["segment", "name"]].itertuples(index=False), sizes):
    print(f"segment {segment}: {name:<28} {size:4d} households")

# New households get segments from the same scaler, factors and centroids.
labels = model.assign(new)
print(f"assigned {len(labels)} new households; shares:",
      labels["segment_name"].value_counts(normalize=True).round(2).to_dict())
print("factor scores of the first new household:", model.transform(new.head(1)).round(3).tolist())

# clone() copies the parameters, not the fit: a second model with more segments.
six = clone(model).set_params(n_segments=6).fit(train)
print(f"with 6 segments the largest holds {np.bincount(six.labels_).max()} households")
