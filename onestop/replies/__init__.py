"""Canned replies: short texts an organization (the desk, a partner) reuses in comments."""
