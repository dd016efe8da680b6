"""A partner organization's piece of a case (AgencyTask)."""
