"""Demo data for a fresh install."""
