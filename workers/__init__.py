"""Celery worker and beat for OneStop: thin tasks over the onestop services."""
