"""causal stage."""
