"""How commitments read on pages, in exports and in emails, in the reader's language."""
from flask_babel import format_decimal

from onestop.commitments.models import ClawbackRule, Measure, ReportStatus
from onestop.i18n import lazy_gettext as _l

# The zone's own words for the measures (templates/commitments/_progress_charts.html).
MEASURE_LABELS = {Measure.INVESTMENT: _l("Investment"), Measure.JOBS: _l("Jobs")}
UNITS = {Measure.INVESTMENT: _l("%(n)s KRW"), Measure.JOBS: _l("%(n)s jobs")}
REPORT_STATUS_LABELS = {ReportStatus.SUBMITTED: _l("Awaiting verification"),
                        ReportStatus.VERIFIED: _l("Verified by the officer"),
                        ReportStatus.RETURNED: _l("Returned")}
CLAWBACK_LABELS = {
    ClawbackRule.PROPORTIONAL: _l("In proportion to the unmet share of the target"),
    ClawbackRule.ALL_OR_NOTHING: _l("In full as soon as the target is missed"),
}
FIRM_EVENT_LABELS = {
    "firm.officer_changed": _l("named another account officer"),
    "report.submit": _l("reported %(measure)s for %(year)s: %(amount)s"),
    "report.verify": _l("verified the report of %(measure)s for %(year)s"),
    "report.return": _l("returned the report of %(measure)s for %(year)s"),
    "agreement.documents": _l("filed documents of the agreement"),
}


def measure_label(measure: str) -> str:
    return str(MEASURE_LABELS.get(measure, measure))


def amount_text(measure: str, amount: int | None) -> str:
    """1,200,000,000 KRW / 35 people (원 and 명 in Korean)."""
    unit = UNITS.get(measure, "%(n)s")
    return str(unit) % {"n": format_decimal(amount or 0, "#,##0")}


def firm_event_label(event) -> str:
    label = FIRM_EVENT_LABELS.get(event.action)
    if label is None:
        return event.action
    params = event.params or {}
    measure = params.get("measure", "")
    return str(label) % {"measure": measure_label(measure), "year": params.get("year", ""),
                         "amount": amount_text(measure, params.get("amount"))}


def template_helpers() -> dict:
    return {"measure_label": measure_label, "amount_text": amount_text,
            "report_status_label": lambda s: str(REPORT_STATUS_LABELS.get(s, s)),
            "firm_event_label": firm_event_label,
            "clawback_label": lambda rule: str(CLAWBACK_LABELS.get(rule, rule))}
