"""The weekly panel, the stacked event study and its triangulation with the cross-sectional estimates."""
