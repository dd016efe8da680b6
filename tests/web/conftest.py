import pytest

from tests.web.api_client import Client


@pytest.fixture
def api(app, world):
    """A program calling the JSON API."""
    return Client(app)
