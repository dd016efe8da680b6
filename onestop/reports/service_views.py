"""The service performance page and its downloads: the same report, filters and scope."""
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from flask import Blueprint, abort, render_template, request
from flask_babel import format_date, format_decimal, get_locale
from flask_login import current_user, login_required

from onestop import exports, policy
from onestop.db import utcnow
from onestop.deadlines import SEOUL
from onestop.i18n import gettext as _
from onestop.i18n import lazy_gettext as _l
from onestop.pages import work_calendar_for_request
from onestop.reports.forms import GROUP_LABELS, ServiceReportForm, default_period
from onestop.reports.service import Figures, GroupBy, ServiceReport, service_report

bp = Blueprint("reports", __name__, url_prefix="/reports")


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Figures], float | int | None]
    kind: str = "count"  # count, share, number


def _hours(seconds: int | None) -> float | None:
    return None if seconds is None else seconds / 3600


WORK_COLUMNS = [
    Column(_l("Open now"), lambda f: f.open),
    Column(_l("Due within 3 business days"), lambda f: f.due_soon),
    Column(_l("Overdue"), lambda f: f.overdue),
    Column(_l("Done in the period"), lambda f: f.done),
    Column(_l("Done on time"), lambda f: f.on_time),
    Column(_l("On-time share (%)"), lambda f: f.on_time_share, "share"),
    Column(_l("Median working days to finish"), lambda f: f.median_days, "number"),
    Column(_l("90th percentile, working days"), lambda f: f.p90_days, "number"),
    Column(_l("Satisfaction (1–5)"), lambda f: f.satisfaction, "number"),
    Column(_l("Answers"), lambda f: f.answers),
]
TIME_COLUMNS = [
    Column(_l("Agency's own time, working hours"), lambda f: _hours(f.agency_seconds),
           "number"),
    Column(_l("Agency's own time per task, working hours"),
           lambda f: f.average_hours(f.agency_seconds), "number"),
    Column(_l("Waiting on the firm, working hours"), lambda f: _hours(f.waited_seconds),
           "number"),
    Column(_l("Waiting on the firm per task, working hours"),
           lambda f: f.average_hours(f.waited_seconds), "number"),
    Column(_l("Paused (nights, weekends, holidays), hours"),
           lambda f: _hours(f.paused_seconds), "number"),
    Column(_l("Paused per task, hours"), lambda f: f.average_hours(f.paused_seconds),
           "number"),
]
# The law's clock (행정절차법 §19, 민원처리법 §16, §22, 행정기본법 §24), counted apart.
LAW_COLUMNS = [
    Column(_l("Done after an extension"), lambda f: f.extended),
    Column(_l("Added by extensions, working hours"), lambda f: _hours(f.extended_seconds),
           "number"),
    Column(_l("Transferred to the competent organization"), lambda f: f.transferred),
    Column(_l("Returned for want of a supplement"), lambda f: f.returned),
    Column(_l("Consent deemed given"), lambda f: f.deemed),
]
DESK_COLUMN = Column(_l("Desk: median working hours from filing to acceptance"),
                     lambda f: _hours(f.desk_median_seconds), "number")


def time_columns(group_by: GroupBy) -> list[Column]:
    """The desk's time belongs to a request type, never to a partner."""
    return TIME_COLUMNS + ([DESK_COLUMN] if group_by == GroupBy.REQUEST_TYPE else [])


def rounded(value, kind: str):
    """The figure as the page and the downloads show it."""
    if value is None or kind == "count":
        return value
    value = Decimal(str(value * 100 if kind == "share" else value))
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))  # 1.25 -> 1.3


def shown(value, kind: str) -> str:
    value = rounded(value, kind)
    if value is None:
        return "—"
    if kind == "count":
        return format_decimal(value, "#,##0")
    return format_decimal(value, "#,##0.0") + ("%" if kind == "share" else "")


def row_label(report: ServiceReport, figures: Figures) -> str:
    if figures.subject is not None:
        return figures.subject.display_name(str(get_locale()))
    return _("All partners") if report.group_by == GroupBy.ORGANIZATION \
        else _("All request types")


def month_headers() -> list[str]:
    return [_("Month"), _("Done in the period"), _("Done on time"), _("On-time share (%)")]


def _report() -> tuple[ServiceReportForm, ServiceReport | None]:
    policy.require(current_user, "report.service")
    now = utcnow()
    default = default_period(now.astimezone(SEOUL).date())
    form = ServiceReportForm(request.args, first=default.first, last=default.last)
    if not form.validate():
        return form, None
    return form, service_report(current_user, form.period, GroupBy(form.group.data), now=now,
                                calendar=work_calendar_for_request())


def on_time_bars(report: ServiceReport) -> list[dict]:
    bars = []
    for figures in report.rows:
        share, label = figures.on_time_share, row_label(report, figures)
        text = (f"{shown(share, 'share')} ({figures.on_time}/{figures.done})" if figures.done
                else _("none done"))
        bars.append({"label": label, "value": rounded(share, "share"), "text": text,
                     "row": [label, shown(share, "share"), figures.on_time, figures.done]})
    return bars


def monthly_points(report: ServiceReport) -> list[dict]:
    points = []
    for m in report.months:
        points.append({
            "label": format_date(m.month, "MMM"),
            # Under January, and under the first month unless a January follows too soon.
            "year": format_date(m.month, "y") if m.month.month == 1 or (
                not points and m.month.month <= 10) else "",
            "bar": m.done, "line": rounded(m.on_time_share, "share"),
            "row": [format_date(m.month, "y MMM"), m.done, m.on_time,
                    shown(m.on_time_share, "share")]})
    return points


@bp.get("/service")
@login_required
def service():
    form, report = _report()
    if report is None:
        return render_template("reports/service.html", form=form, report=None), 422
    bars = on_time_bars(report)
    return render_template(
        "reports/service.html", form=form, report=report, work_columns=WORK_COLUMNS,
        time_columns=time_columns(report.group_by), law_columns=LAW_COLUMNS, shown=shown,
        label=lambda f: row_label(report, f), group_label=GROUP_LABELS[report.group_by],
        bars=bars, bars_summary="; ".join(f"{b['label']}: {b['text']}" for b in bars),
        points=monthly_points(report), month_headers=month_headers(),
        line_name=_("On time (%)"),
        bar_headers=[GROUP_LABELS[report.group_by], _("On-time share (%)"), _("Done on time"),
                     _("Done in the period")])


@bp.get("/service/download.<any(csv, xlsx):fmt>")
@login_required
def service_download(fmt: str):
    form, report = _report()
    if report is None:
        abort(400)
    if request.args.get("table") == "months":
        header = month_headers()
        rows = [[f"{m.month:%Y-%m}", m.done, m.on_time, rounded(m.on_time_share, "share")]
                for m in report.months]
        return exports.download(fmt, f"service-months-{report.period.first}-"
                                     f"{report.period.last}", header, rows)
    columns = WORK_COLUMNS + time_columns(report.group_by) + LAW_COLUMNS
    header = [str(GROUP_LABELS[report.group_by])] + [str(c.header) for c in columns]
    rows = [[row_label(report, f)] + [rounded(c.value(f), c.kind) for c in columns]
            for f in [*report.rows, report.total]]
    return exports.download(fmt, f"service-{report.group_by}-{report.period.first}-"
                                 f"{report.period.last}", header, rows)
