"""Average effects: propensity, positivity, the ATE/ATT/ATO family, DML, bounds and the headline choice."""
