"""experiments (see README)."""
