"""Figures: the zone's promises and the partners' service, aggregated in SQL."""
