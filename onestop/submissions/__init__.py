"""Form submissions: one-time tokens against repeats, and uploads kept for a retry."""
