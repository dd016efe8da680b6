import pytest
from flask_babel import force_locale

from onestop import mail
from tests.mailsink import MailServer


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


@pytest.fixture
def sink(configure):
    """sink(delay=0, **behaviour): a recording SMTP server (tests/mailsink.py) the app sends to;
    the connection the process keeps to it is closed at the end."""
    servers = []

    def start(delay: float = 0.0, **behaviour) -> MailServer:
        server = MailServer(None, delay, **behaviour)
        servers.append(server)
        configure(SMTP_URL=server.url)
        return server

    yield start
    mail.close_connections()
    for server in servers:
        server.stop()
