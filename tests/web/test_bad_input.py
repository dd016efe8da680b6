"""No 500, ever, for bad input: every route of the URL map, as every kind of user, with
hostile values in every path parameter, query parameter and form field."""
import contextvars
import time

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import AnyConverter, IntegerConverter

from onestop.extensions import db
from tests.web.test_authorization_matrix import ROUTES as MATRIX
from tests.web.test_authorization_matrix import (
    Scenario,
    asked_extension,
    desk_view,
    firm_token,
)

# One of each kind: signed out, a firm, the desk (admin sees every page), a partner.
ROLES = ["anon", "firm_a", "admin", "union_lead"]
HUGE = "99999999999999999999"
EVIL = ["a\x00b", "\x01\x1b[31m", HUGE, "-1", "²", "%00", "' OR 1=1 --<script>",
        "\u202eexe.pdf", "２０２６-１２-０１T09:00", "9999-12-31T23:59", "1e309", "😀" * 300,
        "x" * 5000, ""]
# The values most likely to break a parser, sent in each parameter alone.
POTENT = [HUGE, "²", "a\x00b", "x" * 5000]
# Every query parameter a page reads.
QUERY = ["q", "status", "category", "request_type", "organization", "firm", "overdue", "sort",
         "page", "mine", "kind", "start", "period", "next", "actor", "action"]


def _reads_every_name(name):
    method = getattr(ImmutableMultiDict, name)

    def walk(self, *args, **kwargs):
        ReadParameters.note(ReadParameters.EVERY)
        return method(self, *args, **kwargs)
    return walk


class ReadParameters(ImmutableMultiDict):
    """The query string, noting every name a view asks it for (not the guards before it,
    which look at every value); a view that walks over all of it reads every name."""
    read: set[str] = set()
    noting = False
    EVERY = "*"

    @classmethod
    def note(cls, name):
        if cls.noting:
            cls.read.add(name)

    @classmethod
    def while_viewing(cls, dispatch):
        def noted():
            cls.noting = True
            try:
                return dispatch()
            finally:
                cls.noting = False
        return noted

    def __contains__(self, key):
        ReadParameters.note(key)
        return super().__contains__(key)

    def getlist(self, key, type=None):
        ReadParameters.note(key)
        return super().getlist(key, type)

    __iter__ = _reads_every_name("__iter__")
    keys = _reads_every_name("keys")
    items = _reads_every_name("items")
    values = _reads_every_name("values")
    lists = _reads_every_name("lists")
    listvalues = _reads_every_name("listvalues")
    to_dict = _reads_every_name("to_dict")


def form_field_names() -> set[str]:
    """The names of every field of every form class, plus the request types' own fields."""
    names = {"field_floor_area", "checklist", "kept", "once", "seen", "csrf_token"}
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        names |= {name for name in dir(form)
                  if hasattr(getattr(form, name, None), "field_class")}
    return names


def real_values(s: Scenario) -> dict:
    """A real object for every path argument, so that the handlers run deep."""
    return {"case_id": s.case["A"].id, "task_id": s.task["A"].id,
            "firm_id": s.case["A"].firm_id, "attachment_id": s.attachment["A"].id,
            "user_id": s.world.desk.id, "org_id": s.world.union.id,
            "type_id": s.world.permit_type.id, "holiday_id": s.holiday.id,
            "notification_id": s.notification["A"].id, "rule_id": s.rule.id,
            "report_id": s.report["A"].id, "file_id": s.evidence["A"].id,
            "run_id": s.import_run.id, "fmt": "csv", "reply_id": s.reply["A"].id,
            "endpoint_id": s.webhook["A"].id, "delivery_id": s.hook_message["A"].id,
            "view_id": desk_view(s, "A").id, "extension_id": asked_extension(s, "A").id,
            "token_id": firm_token(s, "A").id, "name": "sample.eml", "token": s.invitation,
            # Open311's: a service's code, a service request's id (its token is its id).
            "service_code": s.world.permit_type.code, "service_request_id": s.case["A"].id,
            "open311.get_token.token_id": s.case["A"].id,
            # Each link's own kind of token, so that its handler runs deep.
            "accounts.reset_password.token": s.reset_token,
            "accounts.confirm_email.token": s.email_token,
            "firms.reinvite.user_id": s.invitees["A"][0].id}


def path_values(rule, real: dict) -> list[dict]:
    """The rule's arguments filled with real objects, and with ids beyond every integer
    range or strings with a NUL in place of each."""
    values = {}
    for arg, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            values[arg] = sorted(converter.items)[0]
        else:
            own = f"{rule.endpoint}.{arg}"
            values[arg] = real[own] if own in real else real[arg]
    variants = [values]
    for arg, converter in rule._converters.items():
        if isinstance(converter, IntegerConverter):
            variants += [{**values, arg: HUGE}, {**values, arg: str(2**31)}]
        elif not isinstance(converter, AnyConverter):
            variants += [{**values, arg: "a%00b"}, {**values, arg: "..%2F..%2Fx"}]
    return variants


def build(rule, values: dict) -> str:
    path = rule.rule
    for arg, value in values.items():
        start = path.index("<")
        end = path.index(">", start)
        assert arg in path[start:end]
        path = path[:start] + str(value) + path[end + 1:]
    return path


def fresh_session_id(scenario, role) -> str | None:
    if role == "anon":
        return None
    user = scenario.user(role)
    db.session.refresh(user)
    return user.get_id()


def csrf_token(app) -> str:
    from flask_wtf.csrf import generate_csrf

    with app.test_request_context():
        from flask import session
        session["csrf_token"] = "walk"
        return generate_csrf()


def send(app, user_id, token, method, url, query=None, form=None):
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = "walk"
        if user_id:
            session["_user_id"] = user_id
            session["signed_in_at"] = session["seen_at"] = session["auth_at"] = time.time()
    data = {**(form or {}), "csrf_token": token} if method == "POST" else None
    call = client.get if method == "GET" else client.post
    # Buffered: a streamed download is read where it was answered.
    return contextvars.Context().run(call, url, query_string=query, data=data, buffered=True)


def routes(app):
    """Every route but the static files (the app's and the API page's), signing out
    (which ends the walker's session; it takes no input) and the JSON API's (which answer a
    session 401 before reading anything; Schemathesis sends them hostile input with tokens,
    tests/e2e/test_api_schema.py)."""
    return [(rule, method) for rule in app.url_map.iter_rules()
            if rule.endpoint not in ("static", "api_docs.static", "accounts.logout")
            and not rule.endpoint.startswith("api.")
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def all_at_once(method, values):
    fields = form_field_names()
    for evil in values:
        yield {name: evil for name in QUERY}, {name: evil for name in fields} \
            if method == "POST" else None


def hostile_requests(rule, method, scenario, *, signed_in: bool):
    """(query, form) pairs: every parameter hostile at once, and — since one refused value
    can stop a handler before it reads the next — each parameter hostile alone, the others
    valid (the authorization matrix's form data for the route, where it has some).

    Alone, a page gets each query parameter it asked for while answering the requests before
    (ReadParameters): the generator runs as the walk sends what it yields."""
    yield from all_at_once(method, EVIL)
    if not signed_in:  # every page but the public ones only leads to the sign-in
        return
    if method == "GET":
        read = ReadParameters.read - {ReadParameters.EVERY}
        if ReadParameters.EVERY in ReadParameters.read:
            read |= set(QUERY)
        for name in sorted(read):
            for evil in POTENT:
                yield {name: evil}, None
        return
    spec = next((data for endpoint, m, _values, data, *_ in MATRIX
                 if endpoint == rule.endpoint and m == method and data), None)

    def base() -> dict:  # afresh each time: an uploaded file is read (and closed) once
        return spec(scenario, "A") if spec else {}

    for name in {*base(), "once", "seen", "version", "kept", "audience"}:
        for evil in POTENT:
            yield None, {**base(), name: evil}


@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_hostile_input_with_a_server_error(ctx, role, monkeypatch):
    app = ctx
    monkeypatch.setattr(app.request_class, "parameter_storage_class", ReadParameters)
    monkeypatch.setattr(app, "dispatch_request",
                        ReadParameters.while_viewing(app.dispatch_request))
    scenario = Scenario.build()
    real = real_values(scenario)
    token = csrf_token(app)
    failures, signed_out, read_by = [], 0, {}
    for rule, method in routes(app):
        for variant, values in enumerate(path_values(rule, real)):
            url = build(rule, values)
            ReadParameters.read = set()
            answers = [send(app, fresh_session_id(scenario, role), token, method, url)]
            # With an id that finds nothing or a broken name, a handler stops at the path;
            # the parsers most likely to break still see the query and form at once.
            hostile = hostile_requests(rule, method, scenario, signed_in=role != "anon") \
                if variant == 0 else all_at_once(method, POTENT)
            for query, form in hostile:
                # Read afresh: a request may have ended the sessions (a changed password).
                answers.append(send(app, fresh_session_id(scenario, role), token, method, url,
                                    query=query, form=form))
                db.session.rollback()
            if variant == 0:
                read_by[rule.endpoint, method] = ReadParameters.read
            failures += [f"{method} {url} as {role}: {a.status_code}" for a in answers
                         if a.status_code >= 500]
            if rule.endpoint != "accounts.reset_password":  # a new password: sign in with it
                signed_out += sum(1 for a in answers if a.status_code in (302, 303)
                                  and "/login" in a.headers.get("Location", ""))
    assert not failures, "\n".join(sorted(set(failures))[:40])
    assert role == "anon" or signed_out == 0, "the walk must run signed in, not on the sign-in page"
    assert role == "anon" or {"q", "status", "after"} <= read_by["cases.index", "GET"], \
        "the walk notes the names a view reads (each then sent alone)"


def test_control_characters_and_huge_ids_get_the_usual_pages(browser, world):
    desk = browser("desk@test.example")
    for url in ["/cases/99999999999999999999", "/tasks/2147483648", "/firms/99999999999999999999",
                "/cases/1/attachments/99999999999999999999",
                "/notifications/99999999999999999999/open"]:
        response = desk.get(url)
        assert response.status_code in (404, 405), url
    response = desk.get("/cases/?q=a%00b")
    assert response.status_code == 400
    assert response.headers["Content-Security-Policy"] and "<html" in response.get_data(
        as_text=True), "an error page with the usual headers"
    assert desk.get("/cases/?q=%1b%5b31m").status_code == 400


def test_a_nul_in_a_form_field_or_file_name_is_refused(browser, world):
    import io

    from tests.factories import PDF

    firm = browser("ceo@alpha.test")
    assert firm.post(f"/cases/new/{world.hiring_type.id}", {
        "title": "a\x00b", "description": "d", "priority": "normal"}).status_code == 400
    assert firm.post(f"/cases/new/{world.hiring_type.id}", {
        "title": "t", "description": "d", "priority": "normal",
        "files": [(io.BytesIO(PDF), "a.txt\x00.pdf")]}).status_code == 400


def test_other_control_characters_typed_into_a_form_are_dropped(browser, world):
    from tests.web.helpers import latest_case

    firm = browser("ceo@alpha.test")
    assert firm.post(f"/cases/new/{world.hiring_type.id}", {
        "title": "Pasted\x0btitle", "description": "line one\r\nline\x0ctwo\tend",
        "priority": "normal"}).status_code == 303
    case = latest_case()
    assert case.title == "Pastedtitle" and case.description == "line one\r\nlinetwo\tend"


def test_a_form_part_whose_name_cannot_be_read_gets_the_usual_answer(app, world):
    """Werkzeug keeps such a part under the name None (Schemathesis sent one): refused up
    front, though the form carries a valid CSRF token."""
    part = 'Content-Disposition: form-data; name="{}"\r\n\r\n{}\r\n'
    body = (f"--XX\r\n{part.format('csrf_token', csrf_token(app))}"
            f"--XX\r\n{part.format('email', 'ceo@alpha.test')}"
            f"--XX\r\n{part.format('password', 'wrong')}").encode() + \
        b'--XX\r\nContent-Disposition: form-data; name="\xc3\xab\\"\r\n\r\nnull\r\n--XX--\r\n'
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf_token"] = "walk"
    response = client.post("/login", data=body, content_type="multipart/form-data; boundary=XX")
    assert response.status_code == 400
    assert client.post("/login", data=body.replace(b'"\xc3\xab\\"', b'"x"'),
                       content_type="multipart/form-data; boundary=XX").status_code == 401, \
        "the same form with a readable name is read: a wrong password, not a refused form"
