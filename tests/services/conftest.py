import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def english_messages(ctx):
    """Service tests match on the English text of domain errors."""
    with force_locale("en"):
        yield
