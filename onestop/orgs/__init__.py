"""Partner organizations and the city desk."""
