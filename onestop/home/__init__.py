"""Role home pages, language switch, and the deadline calculator."""
