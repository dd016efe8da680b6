"""Onboarding firms."""
import re
import unicodedata
from datetime import datetime

from sqlalchemy import select

from onestop import policy
from onestop.accounts.models import User
from onestop.cases.services import caseworker
from onestop.commitments.services import record_history
from onestop.concurrency import CHANGED_MEANWHILE
from onestop.errors import Conflict, Invalid
from onestop.extensions import db
from onestop.firms.models import PHASES, Firm
from onestop.i18n import lazy_gettext as _l

_BRN_WEIGHTS = (1, 3, 7, 1, 3, 7, 1, 3, 5)


def brn_digits(text: str) -> str:
    """The digits of a business registration number as typed: Unicode compatibility forms
    folded (full-width １２３ is 123), separators (spaces, hyphens, dots) dropped; any other
    character is left in, so the check below refuses it."""
    folded = unicodedata.normalize("NFKC", text or "")
    kept = (c for c in folded
            if not (c.isspace() or c == "." or unicodedata.category(c) == "Pd"))
    return "".join(str(unicodedata.decimal(c)) if unicodedata.category(c) == "Nd" else c
                   for c in kept)


def normalize_brn(text: str) -> str:
    """The 10 digits of a valid business registration number (사업자등록번호), or Invalid."""
    digits = brn_digits(text)
    if not re.fullmatch(r"[0-9]{10}", digits):
        raise Invalid(_l("A business registration number has 10 digits, like 123-45-67891."),
                      field="brn")
    numbers = [int(c) for c in digits]
    total = sum(n * w for n, w in zip(numbers, _BRN_WEIGHTS, strict=False))
    total += numbers[8] * 5 // 10
    if (10 - total % 10) % 10 != numbers[9]:
        raise Invalid(_l("This business registration number is not valid (check digit). "
                         "Check it against the certificate."), field="brn")
    return digits


def onboard_firm(actor, *, name: str, brn: str, industry: str, site: str, phase: int,
                 account_officer: User | None, now: datetime) -> Firm:
    policy.require(actor, "firm.onboard")
    digits = normalize_brn(brn)
    if phase not in PHASES:
        raise Invalid(_l("Choose a phase."), field="phase")
    if account_officer is not None and not account_officer.is_staff:
        raise Invalid(_l("The account officer must be a caseworker."), field="account_officer")
    if db.session.scalar(select(Firm.id).where(Firm.brn == digits)):
        raise Conflict(_l("A firm with this registration number is onboarded already."),
                       field="brn")
    firm = Firm(name=name.strip(), brn=digits, industry=industry.strip(), site=site.strip(),
                phase=phase, account_officer=account_officer, created_at=now)
    db.session.add(firm)
    db.session.flush()
    return firm


def reassign_officer(actor, firm: Firm, officer: User, *, expected_id: int | None,
                     now: datetime) -> None:
    """Name another caseworker the firm's account officer (전담 책임관), in the firm's history.
    `expected_id` is the officer the form showed: a change made meanwhile is not overwritten."""
    policy.require(actor, "firm.reassign_officer", firm)
    if not caseworker(officer):
        raise Invalid(_l("Choose a caseworker of the one-stop desk."), field="officer")
    if firm.account_officer_id != expected_id:
        raise Conflict(CHANGED_MEANWHILE)
    if officer.id == firm.account_officer_id:
        raise Invalid(_l("%(name)s is already the account officer.", name=officer.name),
                      field="officer")
    before = firm.account_officer
    firm.account_officer = officer
    record_history(actor, firm.id, "firm.officer_changed", now=now,
                   detail=f"{before.name if before else '—'} → {officer.name}",
                   params={"officer_id": officer.id, "previous_id": before.id if before else None})
