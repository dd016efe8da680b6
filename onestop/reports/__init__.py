"""Reports and figures: aggregation in SQL, a constant number of statements per report."""
