"""How each user hears about each kind of notification: at once, in a daily digest or in the
app only; the admin's defaults per role; quiet hours."""
from datetime import datetime

from onestop import policy
from onestop.accounts.models import Role, SiteSetting, User
from onestop.audit.services import record_change
from onestop.deadlines import SEOUL, WorkCalendar
from onestop.errors import Invalid
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.notifications.models import (
    AlertKind,
    Choice,
    CommitmentKind,
    EventKind,
    RuleKind,
    Status,
)

E, R, C = EventKind, RuleKind, CommitmentKind
DEFAULTS_SETTING = "notification_defaults"

# The kinds each role can receive (events.py and the reminder audiences decide when), in the
# order the account page lists them.
KINDS_BY_ROLE: dict[str, tuple[str, ...]] = {
    Role.FIRM: (E.CASE_ACCEPTED, E.CASE_REJECTED, E.INFO_REQUESTED, R.INFO_REQUEST,
                E.DUE_CHANGED, E.PERIOD_EXTENDED, E.EXTENSION_ASKED, E.TASK_TRANSFERRED,
                E.PROGRESS_NOTICE, E.SUPPLEMENT_REMINDED, E.SUPPLEMENT_LAPSED, E.CASE_RETURNED,
                E.OBJECTION_EXTENDED, E.OBJECTION_DECIDED,
                E.COMMENT, E.CASE_RESOLVED, E.CASE_REOPENED, E.CASE_CLOSED,
                E.CASE_WITHDRAWN, R.REPORT_DUE, R.REPORT_OVERDUE, C.REPORT_VERIFIED,
                C.REPORT_RETURNED),
    Role.CASEWORKER: (E.CASE_FILED, E.CASE_REASSIGNED, E.FIRM_ANSWERED, E.TASK_COMPLETED,
                      E.TASK_DECLINED, E.PERIOD_EXTENDED, E.EXTENSION_ASKED,
                      E.EXTENSION_REFUSED, E.TASK_TRANSFERRED, E.SUPPLEMENT_MORE_TIME,
                      E.SUPPLEMENT_LAPSED, E.DEEMED_CONSENT, E.OBJECTION_FILED, R.TASK_OVERDUE,
                      E.COMMENT, E.NOTE,
                      E.CASE_RESOLVED, E.CASE_REOPENED,
                      E.CASE_CLOSED, E.CASE_WITHDRAWN, C.REPORT_SUBMITTED, R.REPORT_OVERDUE),
    Role.PARTNER: (E.TASK_ROUTED, E.TASK_ASSIGNED, R.TASK_DUE, R.TASK_OVERDUE, E.DUE_CHANGED,
                   E.PERIOD_EXTENDED, E.EXTENSION_REFUSED, E.SUPPLEMENT_MORE_TIME,
                   E.SUPPLEMENT_LAPSED, E.CASE_RETURNED, E.DEEMED_CONSENT,
                   E.FIRM_ANSWERED, E.COMMENT, E.NOTE, E.CASE_RESOLVED, E.CASE_REOPENED,
                   E.CASE_CLOSED, E.CASE_WITHDRAWN),
}
KINDS_BY_ROLE[Role.ADMIN] = KINDS_BY_ROLE[Role.CASEWORKER]
KINDS_BY_ROLE[Role.PARTNER_LEAD] = KINDS_BY_ROLE[Role.PARTNER]

CHOICE_LABELS = {Choice.NOW: _l("Email at once"), Choice.DIGEST: _l("Daily digest"),
                 Choice.APP: _l("In the app only")}


def role_defaults() -> dict[str, dict[str, str]]:
    setting = db.session.get(SiteSetting, DEFAULTS_SETTING)
    return dict(setting.value) if setting else {}


def choice_for(user: User, kind: str, defaults: dict | None = None) -> str:
    """This user's choice for this kind: their own, else their role's default, else at once.
    Account messages are always emailed at once."""
    if kind in set(AlertKind):
        return Choice.NOW
    own = (user.notification_choices or {}).get(kind)
    if own:
        return own
    if defaults is None:
        defaults = role_defaults()
    return defaults.get(user.role, {}).get(kind, Choice.NOW)


def choices_for(user: User) -> dict[str, str]:
    defaults = role_defaults()
    return {kind: choice_for(user, kind, defaults) for kind in KINDS_BY_ROLE[user.role]}


def start_of(user: User, kind: str, now: datetime, calendar: WorkCalendar,
             defaults: dict | None = None) -> dict:
    """How a new row for this user begins: queued now, held for the next working morning
    (quiet hours), waiting for the digest, or in the app only."""
    choice = choice_for(user, kind, defaults)
    if choice == Choice.APP:
        return {"status": Status.IN_APP}
    if choice == Choice.DIGEST:
        return {"status": Status.DIGEST}
    if user.has_quiet_hours and (kind in set(EventKind) or kind in set(CommitmentKind)):
        morning = calendar.next_working_moment(now)
        if morning != now.astimezone(SEOUL):
            return {"status": Status.QUEUED, "next_attempt_at": morning}
    return {"status": Status.QUEUED}


def _checked(choices: dict[str, str], role: str) -> dict[str, str]:
    allowed = set(KINDS_BY_ROLE[role])
    if set(choices) - allowed or set(choices.values()) - set(Choice):
        raise Invalid(_l("Unknown kind of notification."))
    return {kind: str(choice) for kind, choice in choices.items()}


def set_choices(actor: User, choices: dict[str, str], *, has_quiet_hours: bool) -> None:
    """The user's own choices; a kind left out keeps following the role's default."""
    actor.notification_choices = _checked(choices, actor.role)
    actor.has_quiet_hours = has_quiet_hours


def set_role_defaults(actor: User, role: str, choices: dict[str, str], *,
                      now: datetime) -> None:
    """The admin's defaults for a role; users' own choices stay as they are."""
    policy.require(actor, "admin.manage")
    if role not in KINDS_BY_ROLE:
        raise Invalid(_l("Unknown role."), field="role")
    setting = db.session.get(SiteSetting, DEFAULTS_SETTING)
    if setting is None:
        setting = SiteSetting(key=DEFAULTS_SETTING, value={})
        db.session.add(setting)
    before = dict(setting.value)
    setting.value = {**before, role: _checked(choices, role)}
    record_change(actor, "notification_defaults.update", "site_setting", None,
                  before=before.get(role) or {}, after=setting.value[role], now=now)

