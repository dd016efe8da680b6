"""Where sign-in leads: only to a path of this app, whatever the next parameter carries."""
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import Browser
from tests.factories import PASSWORD

# Raw query strings, as an attacker would write them in a link.
BYPASSES = [
    "/%09/evil.example/phish",          # tab: browsers drop it, leaving //evil.example
    "/%0d%0a/evil.example",             # CR/LF: header injection, and dropped by browsers
    "/%0d%0aSet-Cookie:%20x=1",
    "%2F%2Fevil.example",               # encoded slashes
    "/%2F/evil.example",
    "/%252F%252Fevil.example",          # doubly encoded
    "//evil.example",
    "///evil.example",
    "/\\evil.example",                  # backslash: read as a slash by browsers
    "/%5Cevil.example",
    "%5C%5Cevil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    "data:text/html,x",
    "%E2%80%A8//evil.example",          # a Unicode line separator
    "%20//evil.example",
    "/nonexistent-page",
    "/logout",                          # a route, but not one for GET
    "evil.example",
]


def sign_in(app, next_value: str):
    b = Browser(app)
    b.get("/login")
    return b.post(f"/login?next={next_value}", {"email": "desk@test.example",
                                                 "password": PASSWORD})


@pytest.mark.parametrize("next_value", BYPASSES)
def test_sign_in_never_leads_elsewhere(app, world, next_value):
    response = sign_in(app, next_value)
    assert response.status_code == 303
    assert response.headers["Location"] == "/", response.headers["Location"]


@pytest.mark.parametrize(("next_value", "location"), [
    ("/cases/?status=submitted", "/cases/?status=submitted"),
    ("/firms/", "/firms/"),
    ("/account", "/account"),
    ("/%09account", "/account"),
])
def test_sign_in_leads_to_a_page_of_the_app(app, world, next_value, location):
    assert sign_in(app, next_value).headers["Location"] == location


def test_the_login_page_passes_next_along(browser, world):
    response = browser().get("/firms/")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == ["/firms/"]
