import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def english_messages(ctx):
    """Service tests match on the English text of domain errors."""
    with force_locale("en"):
        yield


@pytest.fixture
def configure(app):
    """configure(**settings) changes the app's settings for this test only."""
    saved = {}

    def change(**settings):
        for key in settings:
            saved.setdefault(key, app.config[key])
        app.config.update(settings)

    yield change
    app.config.update(saved)
