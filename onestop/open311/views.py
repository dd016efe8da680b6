"""The Open311 GeoReport v2 endpoints, each as .json and .xml: discovery, services and their
definitions, service requests (listed, one, filed) and tokens. A firm's requests are not
public: they are answered only to an api_key whose owner may see them (policy), as the
pages and the JSON API do; without one the list is empty."""
from pathlib import PurePosixPath
from urllib.parse import urlsplit

import flask_babel
from flask import Blueprint, current_app, g, request, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from onestop import policy
from onestop.api import calls
from onestop.api.auth import admit, bearer_secret
from onestop.cases import services as cases
from onestop.cases.models import Case
from onestop.db import parse_id, utcnow
from onestop.errors import DomainError, Invalid, NotAllowed, NotFound, TooManyAttempts
from onestop.extensions import csrf, db
from onestop.i18n import gettext as _
from onestop.open311 import params, resources
from onestop.open311.documents import Open311Error, answer, error_body, http_error

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf.exempt(bp)  # the api_key is sent on purpose, never by a browser on its own
FMT = "<any(json, xml):fmt>"
LANGUAGES = ("ko", "en")
# What the answer's language does not change, nor the filer: left out of a filing's
# fingerprint, so that a retry with another key of the same person is the same call.
NOT_CONTENT = ("api_key", "locale")


@bp.before_request
def choose_language():
    """The `locale` argument, else Accept-Language, else Korean (the app's default)."""
    asked = (request.values.get("locale") or "").replace("_", "-").split("-")[0].lower()
    g.request_locale = asked if asked in LANGUAGES else \
        request.accept_languages.best_match(LANGUAGES, default="ko")
    flask_babel.refresh()  # a guard may have asked for the language already


@bp.after_request
def not_cached(response):
    response.headers.setdefault("Cache-Control", "no-store")
    response.vary.add("Accept-Language")
    return response


def caller(*, writing: bool):
    """The owner of the call's api_key (None without one, when reading): the JSON API's
    gate, its refusals in the spec's words (403 for a key that will not do)."""
    secret = request.values.get("api_key") or bearer_secret()
    if not secret:
        if writing:
            raise Open311Error(403, _("Send api_key: a personal access token of a firm "
                                      "member, with write access."))
        return None
    found, refusal = admit(secret, writing=writing)
    if refusal is None:
        return found[0]
    if refusal.reason == "two_factor":
        raise Open311Error(403, _("An admin requires two-step sign-in of staff. Set it up to "
                                  "go on."))
    if refusal.reason == "rate_limited":
        raise Open311Error(429, _("This api_key made too many requests; try again in %(n)d "
                                  "seconds.", n=refusal.retry_after),
                           headers={"Retry-After": str(refusal.retry_after)})
    if refusal.reason == "read_only":
        raise Open311Error(403, _("This api_key may only read: make one with write access to "
                                  "file requests."))
    raise Open311Error(403, _("Invalid api_key: it is unknown, expired or revoked, or its "
                              "account is disabled."))


def _visible_case(user, case_id: int | None) -> Case:
    """The case if the key's owner may see it; the same 404 whether it exists or not."""
    try:
        if user is None or case_id is None:
            raise NotFound("not found")
        return policy.load(user, Case, case_id)
    except NotFound:
        raise Open311Error(404, _("No service request has this id, or your api_key may not "
                                  "see it.")) from None


@bp.get(f"/discovery.{FMT}")
def discovery(fmt: str):
    return answer(fmt, "discovery", resources.discovery())


@bp.get(f"/services.{FMT}")
def services(fmt: str):
    """The request types a firm can file, as the filing page lists them."""
    return answer(fmt, "services", [resources.service(request_type)
                                    for request_type in cases.active_request_types()])


@bp.get(f"/services/<service_code>.{FMT}")
def service_definition(service_code: str, fmt: str):
    return answer(fmt, "service_definition",
                  resources.definition(params.active_type(service_code)))


@bp.get(f"/requests.{FMT}")
def list_requests(fmt: str):
    """The requests the api_key's owner may see; none without a key (none is public)."""
    user = caller(writing=False)
    filters = params.list_filters(request.args, now=utcnow())
    found = resources.visible_requests(user, filters) if user is not None else []
    return answer(fmt, "service_requests", resources.service_requests(user, found))


@bp.post(f"/requests.{FMT}")
def create_request(fmt: str):
    """A firm member files a request for their firm, through the filing page's service.

    With an Idempotency-Key header, a retry files nothing twice: it gets the first answer."""
    user = caller(writing=True)
    if not policy.can(user, "case.file"):
        raise Open311Error(403, _("Only a firm's members file requests; this api_key is not "
                                  "a firm member's."))
    request_type = params.active_type(request.form.get("service_code"))
    filing = params.filing(request_type, request.form)
    key = params.idempotency_key(request.headers)
    claimed = calls.claim_key(user, "open311:" + key, calls.fingerprint(NOT_CONTENT)) \
        if key else None
    if isinstance(claimed, calls.Replay):
        return _replay(fmt, user, claimed)
    case = cases.file_case(user, request_type, title=filing.title,
                           description=filing.description, priority="normal",
                           form_data=filing.form_data, checked_items=filing.checked_items,
                           files=[], now=utcnow())
    location = url_for("open311.get_request", service_request_id=case.id, fmt=fmt)
    calls.landed(claimed, location)
    db.session.commit()
    return answer(fmt, "service_requests", [resources.filed(case, user)], status=201,
                  headers={"Location": location})


def _replay(fmt: str, user, claimed: calls.Replay):
    if claimed.other_content:
        raise Open311Error(400, _("This Idempotency-Key was sent before with other fields."))
    if not claimed.landing:  # the first call is still being answered, or failed
        raise Open311Error(409, _("A request with this Idempotency-Key is being filed; try "
                                  "again in a moment."))
    case = _visible_case(user, parse_id(PurePosixPath(urlsplit(claimed.landing).path).stem))
    return answer(fmt, "service_requests", [resources.filed(case, user)],
                  headers={"Location": claimed.landing})


@bp.get(f"/requests/<int:service_request_id>.{FMT}")
def get_request(service_request_id: int, fmt: str):
    user = caller(writing=False)
    case = _visible_case(user, service_request_id)
    return answer(fmt, "service_requests", resources.service_requests(user, [case]))


@bp.get(f"/tokens/<token_id>.{FMT}")
def get_token(token_id: str, fmt: str):
    """Every service is realtime (a filing answers its id), so no token is ever issued:
    a request's token is its own id, which this resolves for a key that may see it."""
    user = caller(writing=False)
    case = _visible_case(user, parse_id(token_id))
    return answer(fmt, "service_requests", [{"service_request_id": case.id, "token": case.id}])


@bp.errorhandler(Open311Error)
def refused(error: Open311Error):
    db.session.rollback()
    return error_body(error.status, error.description, headers=error.headers)


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    """A service's refusal: 404 (outside the key's reach), 403, 429, else 400 naming the
    parameter at fault."""
    db.session.rollback()
    if isinstance(error, NotFound):
        return error_body(404, _("Not found, or your api_key may not see it."))
    message = str(error.message)
    if isinstance(error, NotAllowed):
        return error_body(403, message if message != "not allowed" else
                          _("Your api_key may not do this."))
    if isinstance(error, TooManyAttempts):
        return error_body(429, message)
    name = params.parameter(error.field) if isinstance(error, Invalid) else None
    return error_body(400, f"{name}: {message}" if name else message)


@bp.errorhandler(StaleDataError)
@bp.errorhandler(IntegrityError)
def raced(error):
    db.session.rollback()
    return error_body(409, _("Someone saved the same thing a moment earlier; try again."))


@bp.errorhandler(HTTPException)
def http_refusal(error: HTTPException):
    return http_error(error)


@bp.errorhandler(Exception)
def server_error(error):
    db.session.rollback()
    current_app.logger.exception("unhandled error in Open311")
    return error_body(500, _("Something went wrong"))
