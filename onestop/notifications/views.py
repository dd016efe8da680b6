"""The bell and notification list, email preferences, and the admin's ledger, outbox and rules."""
from email import policy as email_policy
from email.parser import BytesParser

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from onestop import policy
from onestop.accounts.labels import ROLE_LABELS
from onestop.accounts.models import User
from onestop.db import utcnow
from onestop.extensions import db
from onestop.i18n import gettext as _
from onestop.jobs import enqueue_deliveries
from onestop.mail import OUTBOX_NAME, outbox_dir, outbox_messages
from onestop.notifications import delivery, digests, reminders, services
from onestop.notifications.digests import LINE_LOADS, describe
from onestop.notifications.forms import (
    ALL_KIND_LABELS,
    STATUS_LABELS,
    LedgerFilterForm,
    PreferencesForm,
    ReminderRuleForm,
    choices_form,
)
from onestop.notifications.models import (
    COMMITMENT_KINDS,
    EventKind,
    Notification,
    ReminderRule,
)
from onestop.notifications.preferences import (
    KINDS_BY_ROLE,
    choices_for,
    role_defaults,
    set_choices,
    set_role_defaults,
)
from onestop.notifications.reminders import AUDIENCE_LABELS, KIND_LABELS
from onestop.web import back, load, perform, refusal_status, safe_path

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@login_required
def index():
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    pagination = db.paginate(
        select(Notification).where(services.in_bell(current_user)).options(*LINE_LOADS)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        page=page, per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("notifications/index.html", pagination=pagination,
                           kind_labels=ALL_KIND_LABELS,
                           event_kinds=set(EventKind) | COMMITMENT_KINDS,
                           lines=describe(pagination.items))


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_item(notification_id: int):
    row = load(Notification, notification_id)
    perform(services.mark_read, current_user, row, now=utcnow())
    if row.kind in COMMITMENT_KINDS:
        return redirect(safe_path(row.params.get("path")) or url_for("home.index"), 303)
    if row.task_id and policy.can(current_user, "task.open", row.task):
        return redirect(url_for("tasks.show", task_id=row.task_id), 303)
    if row.case_id is None:
        return redirect(url_for("accounts.account"), 303)
    return redirect(url_for("cases.show", case_id=row.case_id), 303)


@bp.post("/notifications/read")
@login_required
def mark_all_read():
    db.session.execute(update(Notification).where(
        Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow()))
    db.session.commit()
    return redirect(url_for("notifications.index"), 303)


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    user = current_user._get_current_object()
    form = choices_form(user.role, PreferencesForm)(data={
        **choices_for(user), "has_quiet_hours": user.has_quiet_hours})
    if form.validate_on_submit():
        if perform(set_choices, user, {kind: form[kind].data for kind in form.kinds},
                   has_quiet_hours=form.has_quiet_hours.data, form=form,
                   landing=url_for("notifications.preferences")):
            flash(_("Notification settings saved for %(email)s.", email=user.email), "success")
            return redirect(url_for("notifications.preferences"), 303)
    waiting = digests.items(user, digest_id=None)
    lines = describe(waiting)
    return render_template("notifications/preferences.html", form=form,
                           preview=[(row, lines[row.id]) for row in waiting]), refusal_status()


@bp.route(f"/admin/notification-defaults/<any({','.join(KINDS_BY_ROLE)}):role>",
          methods=["GET", "POST"])
@login_required
def role_defaults_page(role: str):
    _admin()
    form = choices_form(role)(data={kind: role_defaults().get(role, {}).get(kind, "now")
                                    for kind in KINDS_BY_ROLE[role]})
    if form.validate_on_submit():
        here = url_for("notifications.role_defaults_page", role=role)
        if perform(set_role_defaults, current_user, role,
                   {kind: form[kind].data for kind in form.kinds}, now=utcnow(), form=form,
                   landing=here):
            flash(_("Defaults for %(role)s saved. Users who chose for themselves keep their "
                    "choice.", role=ROLE_LABELS[role]), "success")
            return redirect(here, 303)
    return render_template("notifications/role_defaults.html", form=form, role=role,
                           roles=list(KINDS_BY_ROLE), role_labels=ROLE_LABELS), refusal_status()


def _admin() -> None:
    policy.require(current_user, "admin.manage")


@bp.get("/admin/notifications")
@login_required
def ledger():
    _admin()
    form = LedgerFilterForm(request.args)
    if request.args and not form.validate():
        abort(400)
    stmt = select(Notification)
    if form.status.data:
        stmt = stmt.where(Notification.status == form.status.data)
    if form.kind.data:
        stmt = stmt.where(Notification.kind == form.kind.data)
    if form.q.data:
        stmt = stmt.where(Notification.user.has(User.email.ilike(f"%{form.q.data.strip()}%")))
    pagination = db.paginate(
        stmt.options(selectinload(Notification.user), selectinload(Notification.case))
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        page=form.page.data or 1, per_page=50, error_out=False)
    counts = dict(db.session.execute(select(Notification.status, func.count())
                                     .group_by(Notification.status)).all())
    return render_template("notifications/ledger.html", form=form, pagination=pagination,
                           counts=counts, status_labels=STATUS_LABELS,
                           kind_labels=ALL_KIND_LABELS, recipient=delivery.recipient)


@bp.post("/admin/notifications/<int:notification_id>/resend")
@login_required
def resend(notification_id: int):
    _admin()
    row = db.session.get(Notification, notification_id)
    if row is None:
        abort(404)
    if perform(delivery.resend, current_user, row, now=utcnow()):
        enqueue_deliveries([row.id])
        flash(_("Queued again for %(email)s.", email=delivery.recipient(row)), "success")
    return back("notifications.ledger")


@bp.get("/admin/outbox")
@login_required
def outbox():
    _admin()
    return render_template("notifications/outbox.html", messages=outbox_messages()[:200],
                           smtp=bool(current_app.config["SMTP_URL"]))


@bp.get("/admin/outbox/<name>")
@login_required
def outbox_message(name: str):
    _admin()
    path = outbox_dir() / name
    if not OUTBOX_NAME.match(name) or not path.is_file():
        abort(404)
    message = BytesParser(policy=email_policy.default).parsebytes(path.read_bytes())
    body = message.get_body(preferencelist=("plain",))
    return render_template("notifications/outbox_message.html", name=name, message=message,
                           body=body.get_content() if body else "")


@bp.get("/admin/reminder-rules")
@login_required
def rules():
    _admin()
    rows = db.session.scalars(select(ReminderRule).order_by(
        ReminderRule.kind, ReminderRule.offset_days)).all()
    return render_template("notifications/rules.html", rules=rows, kind_labels=KIND_LABELS,
                           audience_labels=AUDIENCE_LABELS)


@bp.route("/admin/reminder-rules/new", methods=["GET", "POST"], defaults={"rule_id": None})
@bp.route("/admin/reminder-rules/<int:rule_id>", methods=["GET", "POST"])
@login_required
def edit_rule(rule_id: int | None):
    _admin()
    rule = db.session.get(ReminderRule, rule_id) if rule_id else None
    if rule_id and rule is None:
        abort(404)
    form = ReminderRuleForm(obj=rule)
    if form.validate_on_submit():
        if perform(reminders.save_rule, current_user, rule, kind=form.kind.data,
                   offset_days=form.offset_days.data, audience=form.audience.data,
                   is_active=form.is_active.data, now=utcnow(), form=form,
                   landing=url_for("notifications.rules")):
            flash(_("Reminder rule saved: %(kind)s, %(days)d business days, to %(audience)s. "
                    "The next sweep uses it.", kind=KIND_LABELS[form.kind.data],
                    days=form.offset_days.data, audience=AUDIENCE_LABELS[form.audience.data]),
                  "success")
            return redirect(url_for("notifications.rules"), 303)
    return render_template("notifications/rule_form.html", form=form, rule=rule), \
        refusal_status()
