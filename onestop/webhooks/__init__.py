"""Webhooks: an organization's own systems told of what happens on its cases."""
