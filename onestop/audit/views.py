"""The admin's audit log page: admin changes, newest first, filtered by actor or action."""
from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from onestop import policy
from onestop.accounts.models import User
from onestop.audit.models import AuditEntry
from onestop.audit.services import audit_entries
from onestop.db import parse_id
from onestop.extensions import db

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


@bp.get("")
@login_required
def index():
    policy.require(current_user, "admin.manage")
    action = request.args.get("action", "")
    actor_text = request.args.get("actor", "")
    actor = parse_id(actor_text)
    if (action and action not in ACTION_LABELS) or (actor_text and actor is None):
        abort(400)
    page = min(max(request.args.get("page", 1, type=int), 1), 100_000)
    pagination = db.paginate(
        audit_entries(actor_id=actor, action=action or None)
        .options(selectinload(AuditEntry.actor)),
        page=page, per_page=50, error_out=False)
    actors = db.session.scalars(select(User).where(User.id.in_(
        select(AuditEntry.actor_id).distinct())).order_by(User.name)).all()
    return render_template("admin/audit_log.html", pagination=pagination, actors=actors,
                           action_labels=ACTION_LABELS, action=action,
                           actor=actor)
