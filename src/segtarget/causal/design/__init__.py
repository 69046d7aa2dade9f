"""Study designs: one row per unit with treatment, covariates and outcomes (campaign trials and older designs)."""
