"""OneStop: the one-stop investor support desk."""
from onestop.app import create_app

__all__ = ["create_app"]
