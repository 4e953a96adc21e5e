"""evals (see README)."""
