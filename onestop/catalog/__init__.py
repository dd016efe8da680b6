"""The request-type catalog: categories, deadline rules, checklists, default partners."""
