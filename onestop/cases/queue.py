"""The case list and the desk's queue: filters, search, sorting, and its export."""
from urllib.parse import parse_qsl

from flask import abort, current_app, flash, g, render_template, request
from flask_babel import format_timedelta, get_locale
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from onestop import exports, lists, policy
from onestop.cases import saved_views
from onestop.cases.forms import PRIORITY_LABELS, BulkForm, CaseFilterForm, SaveViewForm
from onestop.cases.ownership import caseworkers
from onestop.cases.queries import (
    case_page,
    default_status,
    partners_of,
    refused_filters,
    searched,
    shorten_search,
    sorted_by,
)
from onestop.cases.urgency import NEEDS
from onestop.cases.views import bp, category_label
from onestop.catalog.models import Category, RequestType
from onestop.db import parse_id, utcnow
from onestop.deadlines import SEOUL
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.i18n import gettext as _
from onestop.orgs.models import Organization
from onestop.statuses import CaseStatus
from onestop.workflow import STATUS_LABELS


def _caseworkers() -> list:
    """Read once for the page's two forms (the filter's owners, the bulk hand-over)."""
    if "caseworkers" not in g:
        g.caseworkers = caseworkers()
    return g.caseworkers


def _filter_choices(form: CaseFilterForm) -> None:
    any_ = [("", _("All"))]
    locale = str(get_locale())
    form.status.choices = any_ + [("open", _("Open requests"))] + [
        (s.value, str(STATUS_LABELS[s])) for s in CaseStatus]
    form.category.choices = any_ + [(c.value, str(category_label(c))) for c in Category]
    types = db.session.scalars(select(RequestType).order_by(RequestType.name))
    form.request_type.choices = any_ + [(str(t.id), t.display_name(locale)) for t in types]
    orgs = db.session.scalars(select(Organization).where(Organization.kind != "city_desk")
                              .order_by(Organization.name))
    form.organization.choices = any_ + [(str(o.id), o.display_name(locale)) for o in orgs]
    form.firm.choices = any_
    form.owner.choices = any_ + [("me", _("Me")), ("none", _("Nobody"))]
    if policy.can(current_user, "case.queue"):
        form.owner.choices += [(str(u.id), u.name) for u in _caseworkers()]


def filter_form(args) -> CaseFilterForm:
    """The filter form read from a query string; a search longer than the queue runs is
    shortened with a message; any other bad value is a 400."""
    # The desk's queue opens on what is still open; a firm sees all of its requests.
    form = CaseFilterForm(args, status=default_status(current_user))
    _filter_choices(form)
    if args and not form.validate():
        abort(400)
    form.q.data, shortened = shorten_search(form.q.data)
    if shortened:
        flash(_("Your search was long, so only its beginning was searched: %(q)s",
                q=form.q.data), "info")
    return form


def is_valid_query(query: str) -> bool:
    """Would the queue accept this query string as it is?"""
    form = CaseFilterForm(MultiDict(parse_qsl(query, keep_blank_values=True)))
    _filter_choices(form)
    return form.validate() and shorten_search(form.q.data)[1] is False


def filters_of(form: CaseFilterForm) -> dict:
    """The form's data as case_query takes it: ids as ints, owner "me" as this user."""
    data = dict(form.data)
    if refused_filters(current_user, data):  # the page shows them to the desk only
        abort(400)
    for key in ("request_type", "organization", "firm"):
        data[key] = _int(data[key]) if data[key] else None
    owner = data["owner"] or ""
    data["owner"] = (current_user.id if owner == "me" else owner if owner in ("", "none")
                     else _int(owner))
    return data


def _int(value: str) -> int:
    number = parse_id(value)
    if number is None:
        abort(400)
    return number


def _firm_choices(form: CaseFilterForm, cases: list) -> None:
    """The chosen firm and the firms on this page: never a drop-down of every firm."""
    firms = {case.firm for case in cases}
    if form.firm.data:
        firms.add(db.session.scalar(select(Firm).where(
            Firm.id == _int(form.firm.data), policy.visible_firms(current_user))))
    form.firm.choices += sorted(((str(f.id), f.name) for f in firms if f),
                                key=lambda choice: choice[1])


@bp.get("/")
@login_required
def index():
    form = filter_form(request.args)
    filters = filters_of(form)
    try:
        page = case_page(current_user, filters, utcnow(), form.after.data,
                         current_app.config["PAGE_SIZE"])
    except lists.BadCursor:
        abort(400)
    _firm_choices(form, page.items)
    now = utcnow()
    return render_template(
        "cases/index.html", form=form, page=page, bulk=_bulk_form(),
        save_form=SaveViewForm(formdata=None, query=saved_views.clean_query(
            request.query_string.decode())) if policy.can(current_user, "case.save_view")
        else None,
        partners=partners_of(current_user, [c.id for c in page.items]),
        need=NEEDS[form.need.data][1] if form.need.data else None,
        active_filters=sum(1 for name in ("q", "category", "request_type", "organization",
                                          "firm", "owner", "overdue") if form[name].data),
        priority_label=lambda p: PRIORITY_LABELS.get(p, p),
        age=lambda moment: format_timedelta(now - moment, threshold=1))


def _bulk_form() -> BulkForm | None:
    if not policy.can(current_user, "case.bulk"):
        return None
    form = BulkForm(formdata=None)
    locale = str(get_locale())
    form.owner.choices = [("", _("Choose a caseworker"))] + [
        (str(u.id), u.name) for u in _caseworkers()]
    form.organization.choices = [("", _("Choose a partner"))] + [
        (str(o.id), o.display_name(locale)) for o in db.session.scalars(
            select(Organization).where(Organization.kind != "city_desk", Organization.is_active)
            .order_by(Organization.name))]
    return form


@bp.get("/export.<any(csv, xlsx):fmt>")
@login_required
def export(fmt: str):
    """Every case the list shows under the same filters (all pages), as a file."""
    filters = filters_of(filter_form(request.args))
    query = sorted_by(searched(current_user, filters, utcnow()), filters)
    locale = str(get_locale())
    header = [_("Reference"), _("Title"), _("Firm"), _("Type"), _("Status"), _("Priority"),
              _("Owner"), _("Submitted"), _("Review due"), _("Accepted"), _("Due"),
              _("Partners")]

    def rows():
        for page in db.session.scalars(query.execution_options(yield_per=500)).partitions():
            partners = partners_of(current_user, [case.id for case in page])
            for case in page:
                yield [case.reference, case.title, case.firm.name,
                       case.request_type.display_name(locale),
                       str(STATUS_LABELS[case.status]),
                       str(PRIORITY_LABELS.get(case.priority, case.priority)),
                       case.owner.name if case.owner else "", case.submitted_at,
                       case.review_due_at, case.accepted_at, case.due_at,
                       ", ".join(o.display_name(locale) for o in partners[case.id])]

    return exports.download(fmt, f"cases-{utcnow().astimezone(SEOUL):%Y%m%d}", header, rows)
