"""Incoming firms and their onboarding."""
