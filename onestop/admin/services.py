"""Admin changes to users, organizations and the request-type catalog."""
import re
from datetime import datetime

from sqlalchemy import func, select, update

from onestop import policy
from onestop.accounts.models import Role, User
from onestop.accounts.services import USER_FIELDS, check_membership
from onestop.audit.services import record_change, summary
from onestop.catalog.fields import KINDS
from onestop.catalog.models import Category, RequestType
from onestop.db import utcnow
from onestop.deadlines import parse_period
from onestop.errors import Conflict, Invalid
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.orgs.models import Organization, OrgKind
from onestop.tasks.models import AgencyTask

ORGANIZATION_FIELDS = ("name", "name_en", "kind", "is_active")
REQUEST_TYPE_FIELDS = ("code", "name", "name_en", "category", "period", "is_active", "checklist",
                       "form_fields", "default_partners", "supplement_period",
                       "progress_notice_period", "deems_permits", "consultation_period",
                       "objection_days", "objection_period")
# The law's clock of a request type: period field -> may it be empty (never)?
LAW_PERIODS = {"supplement_period": False, "progress_notice_period": True,
               "consultation_period": False, "objection_period": False}
LAW_FLAGS = ("deems_permits",)
LAW_DAYS = ("objection_days",)  # calendar days, 1 to 365


def update_user(actor, user: User, *, name: str, role: str, is_enabled: bool,
                organization: Organization | None, firm, now: datetime | None = None) -> None:
    policy.require(actor, "admin.manage")
    before = summary(user, USER_FIELDS)
    if user.id == actor.id and (role != Role.ADMIN or not is_enabled):
        raise Invalid(_l("You cannot take away your own admin access."), field="role")
    check_membership(role, firm, organization)
    was_enabled = user.is_enabled
    if (role, organization.id if organization else None) != (user.role, user.organization_id):
        # Tasks of the old organization must not follow the person (nor their reminders).
        db.session.execute(update(AgencyTask).where(AgencyTask.assignee_id == user.id)
                           .values(assignee_id=None))
    user.name = name.strip()
    user.role = role
    user.is_enabled = is_enabled
    user.firm = firm if role == Role.FIRM else None
    user.organization = organization if role != Role.FIRM else None
    if was_enabled and not is_enabled:
        user.session_version += 1
    db.session.flush()
    record_change(actor, "user.update", "user", user.id, before=before,
                  after=summary(user, USER_FIELDS), now=now or utcnow())


def save_organization(actor, org: Organization | None, *, name: str, name_en: str,
                      kind: str, is_active: bool, now: datetime | None = None) -> Organization:
    policy.require(actor, "admin.manage")
    before = summary(org, ORGANIZATION_FIELDS)
    if kind not in set(OrgKind):
        raise Invalid(_l("Unknown kind."), field="kind")
    clash = db.session.scalar(select(Organization.id).where(Organization.name == name.strip()))
    if clash and (org is None or clash != org.id):
        raise Conflict(_l("An organization with this name exists already."), field="name")
    if org is None:
        org = Organization()
        db.session.add(org)
    org.name, org.name_en, org.kind, org.is_active = name.strip(), name_en.strip(), kind, is_active
    db.session.flush()
    record_change(actor, "organization.update" if before else "organization.create",
                  "organization", org.id, before=before, after=summary(org, ORGANIZATION_FIELDS),
                  now=now or utcnow())
    return org


def parse_checklist(text: str) -> list[dict]:
    """One document a line: 'Korean | English'."""
    items = []
    for line in text.splitlines():
        if line.strip():
            ko, _sep, en = line.partition("|")
            items.append({"ko": ko.strip(), "en": en.strip() or ko.strip()})
    return items


def parse_form_fields(text: str) -> list[dict]:
    """One field a line: 'name | Korean label | English label | options', the options
    being any of 'required', 'number' or 'integer', and 'unit=㎡' (or 'unit=명/people'
    for a unit that differs by language)."""
    fields = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        name = parts[0]
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", name):
            raise Invalid(_l("Line %(n)d: a field name is lowercase letters, digits and _.",
                             n=number), field="form_fields")
        if name in {f["name"] for f in fields}:
            raise Invalid(_l("Line %(n)d: the field name is used twice.", n=number),
                          field="form_fields")
        ko = parts[1] if len(parts) > 1 and parts[1] else name
        field = {"name": name, "ko": ko, "en": parts[2] if len(parts) > 2 and parts[2] else ko,
                 "required": False}
        for option in re.split(r"[,\s]+", parts[3] if len(parts) > 3 else ""):
            _apply_option(field, option, number)
        fields.append(field)
    return fields


def _apply_option(field: dict, option: str, line: int) -> None:
    word = option.lower()
    if not word:
        return
    if word in ("required", "y", "yes", "필수"):
        field["required"] = True
    elif word in KINDS:
        field["kind"] = word
    elif word.startswith("unit="):
        ko, _sep, en = option[5:].partition("/")
        field["unit"] = {"ko": ko.strip(), "en": (en or ko).strip()}
    else:
        raise Invalid(_l("Line %(n)d: unknown option %(option)s (use required, number, "
                         "integer, unit=…).", n=line, option=option), field="form_fields")


def form_fields_text(fields: list[dict]) -> str:
    """The fields as the admin form's lines (the inverse of parse_form_fields)."""
    lines = []
    for f in fields:
        options = (["required"] if f.get("required") else []) + (
            [f["kind"]] if f.get("kind", "text") != "text" else [])
        unit = f.get("unit")
        if unit:
            options.append("unit=" + (unit["ko"] if unit["ko"] == unit["en"]
                                      else f"{unit['ko']}/{unit['en']}"))
        lines.append(" | ".join([f["name"], f["ko"], f["en"], *([" ".join(options)]
                                                                if options else [])]))
    return "\n".join(lines)


CODE = re.compile(r"[a-z][a-z0-9-]{1,39}")


def _unique_names(request_type: RequestType | None, name: str, name_en: str) -> None:
    others = select(RequestType).where(RequestType.id != (request_type.id if request_type
                                                          else -1))
    if db.session.scalar(others.where(RequestType.name == name)):
        raise Conflict(_l("Another request type has this Korean name."), field="name")
    if name_en and db.session.scalar(others.where(func.lower(RequestType.name_en)
                                                  == name_en.lower())):
        raise Conflict(_l("Another request type has this English name."), field="name_en")


def _law_periods(law: dict) -> dict:
    """The law's-clock settings given: periods in their canonical form ('' where never is
    allowed), flags as they are."""
    clean = {name: bool(law[name]) for name in LAW_FLAGS if name in law}
    for name in LAW_DAYS:
        if name in law:
            if not isinstance(law[name], int) or not 1 <= law[name] <= 365:
                raise Invalid(_l("Write a number of days from 1 to 365."), field=name)
            clean[name] = law[name]
    for name, value in law.items():
        if name in LAW_FLAGS or name in LAW_DAYS:
            continue
        value = (value or "").strip()
        if not value and LAW_PERIODS[name]:
            clean[name] = ""
            continue
        try:
            clean[name] = str(parse_period(value))
        except ValueError:
            raise Invalid(_l("Write the period as 3h, 5d, 10d, 2w, 1m, 1y or immediate."),
                          field=name) from None
    return clean


def save_request_type(actor, request_type: RequestType | None, *, code: str, name: str,
                      name_en: str, category: str, period: str, checklist: str,
                      form_fields: str, partners: list[Organization],
                      is_active: bool, law: dict | None = None,
                      now: datetime | None = None) -> RequestType:
    policy.require(actor, "admin.manage")
    before = summary(request_type, REQUEST_TYPE_FIELDS)
    if category not in set(Category):
        raise Invalid(_l("Unknown category."), field="category")
    try:
        period = str(parse_period(period))
    except ValueError:
        raise Invalid(_l("Write the period as 3h, 5d, 10d, 2w, 1m, 1y or immediate."),
                      field="period") from None
    law = _law_periods(law or {})
    code = code.strip().lower()
    if not CODE.fullmatch(code):
        raise Invalid(_l("A code is 2 to 40 lowercase letters, digits and hyphens, starting "
                         "with a letter, like building-permit."), field="code")
    clash = db.session.scalar(select(RequestType.id).where(RequestType.code == code))
    if clash and (request_type is None or clash != request_type.id):
        raise Conflict(_l("This code is taken."), field="code")
    name, name_en = " ".join(name.split()), " ".join(name_en.split())
    _unique_names(request_type, name, name_en)
    if any(not p.is_partner for p in partners):
        raise Invalid(_l("Only partner organizations take tasks."), field="partners")
    if request_type is None:
        request_type = RequestType()
        db.session.add(request_type)
    request_type.code, request_type.name, request_type.name_en = code, name, name_en
    request_type.category, request_type.period, request_type.is_active = category, period, is_active
    request_type.checklist = parse_checklist(checklist)
    request_type.form_fields = parse_form_fields(form_fields)
    request_type.default_partners = partners
    for name, value in law.items():
        setattr(request_type, name, value)
    db.session.flush()
    record_change(actor, "request_type.update" if before else "request_type.create",
                  "request_type", request_type.id, before=before,
                  after=summary(request_type, REQUEST_TYPE_FIELDS), now=now or utcnow())
    return request_type
