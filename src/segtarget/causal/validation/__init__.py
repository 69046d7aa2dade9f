"""Checks against known truth: semi-synthetic data, IHDP and effects planted in real data."""
