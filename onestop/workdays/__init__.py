"""Admin-added non-working days and the work calendar built from them."""
