"""What every page shares: error pages, the guards every request passes, the helpers every
template uses, and the security headers."""
import re
from datetime import datetime

from flask import (
    Flask,
    abort,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime, format_decimal, get_locale
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from onestop import policy, statuses, workflow
from onestop.api.problems import http_problem
from onestop.audit.events import security_event
from onestop.db import utcnow
from onestop.deadlines import SEOUL, parse_period
from onestop.errors import NotAllowed, NotFound
from onestop.extensions import db, login_manager
from onestop.i18n import day, short_moment
from onestop.i18n import gettext as _
from onestop.i18n import lazy_gettext as _l
from onestop.notifications.services import BELL_CAP, unread_count
from onestop.tasks.extensions import CONSENT_LABELS
from onestop.web import AlreadyDone, safe_path, sign_in_then_back_to_the_form, way_back

# Control characters, refused anywhere in a URL.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Changed meanwhile"),
    413: _l("File too large"),
    422: _l("Check your input"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong"),
}


def register_error_handlers(app: Flask) -> None:
    def page(code: int, message: str | None = None, **extra):
        return render_template("error.html", code=code, title=ERROR_TITLES.get(code, ""),
                               message=message, **extra), code

    def log_refusal(outcome: str) -> None:
        security_event("access.refused", user=current_user if current_user.is_authenticated
                       else None, obj=request.path, outcome=outcome, endpoint=request.endpoint)

    @app.errorhandler(NotFound)
    def not_found(error):
        db.session.rollback()
        log_refusal("not_found")
        return page(404)

    @app.errorhandler(NotAllowed)
    def not_allowed(error):
        db.session.rollback()
        log_refusal("not_allowed")
        return page(403, str(error.message) if error.message != "not allowed" else None)

    @app.errorhandler(AlreadyDone)
    def already_done(error):
        flash(_("This was sent already, so it was not done again. Here is the result."), "info")
        return redirect(error.landing, 303)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        app.logger.info("CSRF refused: %s", error.description)
        if not current_user.is_authenticated:
            message = _("You were signed out (in another tab, or after a while without "
                        "activity), so the form was not sent. Sign in again and send it.")
        else:
            message = _("The form expired or was sent from elsewhere, so it was not sent.")
        return page(400, message, **way_back(signed_out=not current_user.is_authenticated))

    @app.errorhandler(413)
    def too_large(error):
        config = app.config
        return page(413, _("The files are too large: at most %(mb)d MB each and %(n)d files "
                           "at a time. Nothing was sent.",
                           mb=config["MAX_ATTACHMENT_BYTES"] // (1024 * 1024),
                           n=config["MAX_FILES_PER_SUBMIT"]), **way_back(signed_out=False))

    @app.errorhandler(HTTPException)
    def http_error(error):
        if request.path.startswith("/api/"):  # no route or method there: the API's answer
            return http_problem(error)
        if request.path.startswith("/open311/"):  # Open311's own error body
            from onestop.open311.documents import http_error as open311_error

            return open311_error(error)
        return page(error.code or 500)

    @app.errorhandler(Exception)
    def server_error(error):
        db.session.rollback()
        app.logger.exception("unhandled error")
        return page(500)


def register_request_guards(app: Flask) -> None:
    @app.before_request
    def refuse_control_characters():
        """A NUL or other control character in the URL, or a NUL in a form field or file
        name, or a form field without a readable name, is refused up front: nothing could
        store it faithfully."""
        # `next` is left to safe_path, which drops what it must and keeps the sign-in.
        in_url = [request.path, request.host, request.remote_addr or "",
                  *(item for key, value in request.args.items(multi=True)
                    for item in (key, "" if key == "next" else value))]
        if any(CONTROL.search(value) for value in in_url):
            abort(400)
        if request.method == "POST" and any(  # a part with a malformed name has none
                key is None or "\x00" in key or "\x00" in value
                for key, value in request.form.items(multi=True)):
            abort(400)
        if request.method == "POST" and any(
                "\x00" in (f.filename or "") for f in request.files.values()):
            abort(400)

    @login_manager.unauthorized_handler
    def sign_in_first():
        if request.method == "POST":
            return sign_in_then_back_to_the_form()
        flash(str(login_manager.login_message), login_manager.login_message_category)
        return redirect(url_for("accounts.login", next=safe_path(request.full_path)), 302)

    @app.context_processor
    def saved_forms():
        return {"saved_forms": session.get("saved_forms", {}) if has_request_context() else {}}


def work_calendar_for_request():
    if "work_calendar" not in g:
        from onestop.workdays.services import work_calendar

        g.work_calendar = work_calendar()
    return g.work_calendar


def due_phrase(due_at: datetime | None, status: str | None = None) -> tuple[str, str]:
    """('in 2 business days' / '3 days overdue' / 'due today', badge style)."""
    if due_at is None:
        return "", ""
    if status is not None and status not in statuses.OPEN_CASE + statuses.ACTIVE_TASK:
        return "", ""
    if status == "waiting_on_firm":
        return _("clock stopped"), "paused"
    now = utcnow()
    calendar = work_calendar_for_request()
    days = calendar.business_days_between(now.astimezone(SEOUL).date(),
                                          due_at.astimezone(SEOUL).date())
    if due_at < now:
        late = max(1, -days)
        return _("%(n)d business days overdue", n=late) if late > 1 else _(
            "1 business day overdue"), "overdue"
    if days == 0:
        return _("due today"), "soon"
    if days == 1:
        return _("in 1 business day"), "soon"
    return _("in %(n)d business days", n=days), "ok" if days > 3 else "soon"


EVENT_LABELS = {
    "case.submit": _l("filed the request"),
    "case.accept": _l("accepted the request as complete; the clock started"),
    "case.reject": _l("rejected the request"),
    "case.start": _l("work started"),
    "case.wait_on_firm": _l("the request waits on the firm; the clock stopped"),
    "case.firm_answered": _l("the firm answered; the clock restarted"),
    "case.resolve": _l("resolved the request"),
    "case.tasks_done": _l("every task is done: the request is resolved"),
    "case.reopen": _l("reopened the request"),
    "case.close": _l("closed the request"),
    "case.withdraw": _l("withdrew the request"),
    "case.reassign": _l("handed the request to another owner"),
    "case.comment": _l("commented"),
    "task.route": _l("routed to %(org)s"),
    "task.accept": _l("%(org)s accepted its task"),
    "task.request_info": _l("%(org)s asked the firm for information"),
    "task.firm_answered": _l("%(org)s task resumed, due date moved out"),
    "task.complete": _l("%(org)s completed its task"),
    "task.decline": _l("%(org)s declined its task"),
    "task.cancel": _l("%(org)s task cancelled"),
    "task.assign": _l("%(org)s task assigned"),
    "task.due_changed": _l("%(org)s task due date changed"),
    "task.due_beyond_period": _l("%(org)s task due date set beyond the legal period"),
    "task.extend": _l("%(org)s extended its processing period"),
    "task.extension_asked": _l("%(org)s asked the firm to agree to a further extension"),
    "task.extension_consented": _l("the firm agreed: %(org)s's period is extended"),
    "task.extension_refused": _l("the firm did not agree to extend %(org)s's period"),
    "task.transfer": _l("%(org)s was not competent and transferred its task"),
    "task.transferred_in": _l("transferred to %(org)s, the competent organization"),
    "case.progress_notice": _l("progress notice sent to the firm"),
    "case.return": _l("returned the request: the supplement did not come"),
    "task.supplement_more_time": _l("the firm took more time to answer %(org)s"),
    "task.supplement_reminded": _l("the deadline to answer %(org)s passed: the firm was "
                                   "reminded with a second one"),
    "task.supplement_lapsed": _l("the second deadline to answer %(org)s passed"),
    "task.due_recomputed": _l("%(org)s task due date recomputed: the holiday calendar changed"),
    "case.due_recomputed": _l("due date recomputed: the holiday calendar changed"),
    "case.object": _l("objected to the rejection"),
    "case.objection_extended": _l("the decision on the objection takes longer"),
    "case.objection_decided": _l("decided on the objection"),
    "case.reconsider": _l("objection upheld: the request goes back to the desk's review"),
    "task.deem_consent": _l("%(org)s gave no answer in the consultation period: consent deemed"),
    "task.pause_recorded": _l("%(org)s recorded a deliberation or hearing; its due date moved "
                              "out by it"),
    "case.progress_asked": _l("the firm asked for the progress; it was sent"),
}


PERIOD_UNITS = {
    "hours": _l("%(n)d working hours"),
    "days": _l("%(n)d days"),
    "weeks": _l("%(n)d weeks"),
    "months": _l("%(n)d months"),
    "years": _l("%(n)d years"),
}


def period_label(text: str) -> str:
    """'10d' -> '10 days'; 'immediate' -> 'immediately (3 working hours)'."""
    period = parse_period(text)
    if period.unit == "immediate":
        return _("immediately (3 working hours)")
    return str(PERIOD_UNITS[period.unit]) % {"n": period.amount}


def event_label(event) -> str:
    label = EVENT_LABELS.get(event.action)
    if label is None:
        return event.action
    org = event.task.organization.display_name(str(get_locale())) if event.task else ""
    return str(label) % {"org": org} if "%(org)s" in str(label) else str(label)


def register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def helpers():
        locale = str(get_locale())
        return {
            "unread_notifications": (lambda: unread_count(current_user)
                                     if current_user.is_authenticated else 0),
            "bell_cap": BELL_CAP,
            "can": lambda action, obj=None: policy.can(current_user, action, obj),
            "case_actions": lambda case: workflow.case_actions(current_user, case),
            "task_actions": lambda task: workflow.task_actions(current_user, task),
            "status_label": lambda status: workflow.STATUS_LABELS.get(status, status),
            "status_help": lambda status, kind="case": (
                workflow.TASK_STATUS_HELP if kind == "task" else workflow.CASE_STATUS_HELP
            ).get(status, ""),
            "routable": lambda case: case.status in statuses.ROUTABLE_CASE,
            "finished": lambda case: case.status in statuses.FINISHED_CASE,
            "active": lambda task: task.status in statuses.ACTIVE_TASK,
            "now": utcnow,
            "extension_state": lambda consent: CONSENT_LABELS[consent],
            "due_phrase": due_phrase,
            "period_label": period_label,
            "event_label": event_label,
            "locale": locale,
            "display": lambda obj: obj.display_name(locale) if obj else "",
        }

    @app.template_filter("dt")
    def format_moment(value: datetime | None, fmt: str = "short") -> str:
        # One unambiguous short form in both languages; long forms follow the locale.
        if fmt == "short":
            return short_moment(value)
        patterns = {"long": "yyyy-MM-dd (EEEE) HH:mm"}
        return format_datetime(value, patterns.get(fmt, fmt)) if value else ""

    @app.template_filter("filesize")
    def filesize(size: int) -> str:
        if size < 1024:
            return f"{size} B"
        if size < 1024 * 1024:
            return f"{format_decimal(size / 1024, '#,##0.#')} KB"
        return f"{format_decimal(size / 1024 / 1024, '#,##0.#')} MB"

    app.add_template_filter(day, "date")


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
        if app.config["HSTS"]:
            response.headers.setdefault("Strict-Transport-Security",
                                        "max-age=31536000; includeSubDomains")
        if current_user.is_authenticated:
            response.headers.setdefault("Cache-Control", "no-store")
        return response
