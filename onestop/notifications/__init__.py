"""Reminders and escalations: rules, the notification ledger, delivery by email and in-app."""
