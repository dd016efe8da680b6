"""The admin's audit log page: admin changes, newest first, filtered by actor or action."""
import json

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from onestop import exports, policy
from onestop.accounts.models import User
from onestop.audit.models import AuditEntry
from onestop.audit.services import audit_entries
from onestop.db import parse_id, utcnow
from onestop.deadlines import SEOUL
from onestop.extensions import db
from onestop.i18n import gettext as _
from onestop.i18n import lazy_gettext as _l

bp = Blueprint("audit", __name__, url_prefix="/admin/audit-log")

ACTION_LABELS = {
    "user.invite": _l("invited a user"),
    "user.reinvite": _l("made a new invitation link"),
    "user.update": _l("changed a user"),
    "user.two_factor_reset": _l("reset a user's two-step sign-in"),
    "organization.create": _l("added an organization"),
    "organization.update": _l("changed an organization"),
    "request_type.create": _l("added a request type"),
    "request_type.update": _l("changed a request type"),
    "holiday.add": _l("added a non-working day"),
    "holiday.remove": _l("removed a non-working day"),
    "reminder_rule.create": _l("added a reminder rule"),
    "reminder_rule.update": _l("changed a reminder rule"),
    "security.settings": _l("changed the sign-in settings"),
}


def _filtered():
    policy.require(current_user, "admin.manage")
    action = request.args.get("action", "")
    actor_text = request.args.get("actor", "")
    actor = parse_id(actor_text)
    if (action and action not in ACTION_LABELS) or (actor_text and actor is None):
        abort(400)
    query = audit_entries(actor_id=actor, action=action or None) \
        .options(selectinload(AuditEntry.actor))
    return query, actor, action


@bp.get("")
@login_required
def index():
    query, actor, action = _filtered()
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    pagination = db.paginate(query, page=page, per_page=50, error_out=False)
    actors = db.session.scalars(select(User).where(User.id.in_(
        select(AuditEntry.actor_id).distinct())).order_by(User.name)).all()
    return render_template("admin/audit_log.html", pagination=pagination, actors=actors,
                           action_labels=ACTION_LABELS, action=action,
                           actor=actor)


@bp.get("/export.<any(csv, xlsx):fmt>")
@login_required
def export(fmt: str):
    query, _actor, _action = _filtered()
    header = [_("When"), _("Who"), _("Email"), _("What"), _("Object"), _("Before"), _("After")]

    def rows():
        for e in db.session.scalars(query.execution_options(yield_per=500)):
            yield [e.at, e.actor.name if e.actor else "", e.actor_email,
                   str(ACTION_LABELS.get(e.action, e.action)), f"{e.object_type}:{e.object_id}",
                   json.dumps(e.before, ensure_ascii=False, default=str),
                   json.dumps(e.after, ensure_ascii=False, default=str)]

    return exports.download(fmt, f"audit-log-{utcnow().astimezone(SEOUL):%Y%m%d}", header, rows)
