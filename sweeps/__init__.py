"""sweeps (see README)."""
