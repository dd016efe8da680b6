"""Bulk actions on the queue: each ticked case goes through the same service as on its own
page, in its own savepoint, so one refusal leaves the others done; each refusal is told."""
from flask import flash, redirect, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from onestop import policy
from onestop.accounts.models import User
from onestop.cases import services
from onestop.cases.forms import BulkForm
from onestop.cases.models import Case
from onestop.cases.saved_views import clean_query
from onestop.cases.views import bp
from onestop.concurrency import CHANGED_MEANWHILE
from onestop.db import parse_id, utcnow
from onestop.errors import DomainError, Invalid, NotFound
from onestop.extensions import db
from onestop.i18n import gettext as _
from onestop.orgs.models import Organization
from onestop.web import perform

MAX_CASES = 100


def _ticked(values: list[str]) -> list[tuple[int, str]]:
    """(case id, version) of each "id:version" the form sent."""
    ticked = []
    for value in values[:MAX_CASES]:
        case_id, _sep, version = value.partition(":")
        if parse_id(case_id) is not None:
            ticked.append((parse_id(case_id), version))
    return ticked


def _one_case(form: BulkForm, now):
    """The service call for one case by the chosen action, and what the summary says
    (a function of how many were done)."""
    action = form.action.data
    if action == "assign":
        owner = db.session.get(User, parse_id(form.owner.data) or 0)
        if owner is None:
            raise Invalid(_("Choose a caseworker of the one-stop desk."))
        return (lambda case, version: services.reassign_case(
            current_user, case, owner, now=now, version=version),
            lambda n, total: _("%(name)s now owns %(n)d of the %(total)d requests.",
                               name=owner.name, n=n, total=total))
    if action == "route":
        org = db.session.get(Organization, parse_id(form.organization.data) or 0)
        if org is None:
            raise Invalid(_("Choose a partner organization."))
        return (lambda case, version: services.route_case(
            current_user, case, [org], now=now, version=version),
            lambda n, total: _("Routed %(n)d of the %(total)d requests to %(org)s.",
                               org=org.display_name(str(get_locale())), n=n, total=total))
    return (lambda case, version: services.close_case(current_user, case, now=now,
                                                      version=version),
            lambda n, total: _("Closed %(n)d of the %(total)d requests.", n=n, total=total))


def run_bulk(form: BulkForm, ticked: list[tuple[int, str]], now) -> tuple[str, list[str]]:
    """Do the action to each case in a savepoint of its own: (what was done, refusals)."""
    act, summary = _one_case(form, now)
    cases = {c.id: c for c in db.session.scalars(select(Case).where(
        Case.id.in_([i for i, _v in ticked]), policy.visible_cases(current_user)))}
    done, refused = 0, []
    for case_id, version in ticked:
        case = cases.get(case_id)
        try:
            with db.session.begin_nested():
                if case is None:
                    raise NotFound(_("not found"))
                act(case, version)
                db.session.flush()
            done += 1
        except (DomainError, StaleDataError) as error:
            message = (CHANGED_MEANWHILE if isinstance(error, StaleDataError)
                       else error.message)
            name = case.reference if case is not None else f"#{case_id}"
            refused.append(_("%(ref)s: %(why)s", ref=name, why=str(message)))
            if case is not None:
                db.session.refresh(case)
    return summary(done, len(ticked)), refused


@bp.post("/bulk")
@login_required
def bulk():
    policy.require(current_user, "case.bulk")
    form = BulkForm()
    landing = url_for("cases.index") + "?" + clean_query(request.form.get("query", ""))
    ticked = _ticked(form.cases.data or [])
    if not form.validate_on_submit() or not ticked:
        flash(_("Tick the requests to act on, then choose what to do.") if not ticked
              else " ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(landing, 303)
    outcome = perform(run_bulk, form, ticked, utcnow(), form=form, landing=landing)
    if outcome:
        summary, refused = outcome
        flash(summary, "success")
        for line in refused:
            flash(line, "error")
    return redirect(landing, 303)
