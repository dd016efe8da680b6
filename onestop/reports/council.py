"""The monthly report for the city council: a print-ready page and the same report as a PDF
rendered by the server (WeasyPrint), always in Korean, the council's language."""
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import force_locale
from flask_login import current_user, login_required

from onestop import policy
from onestop.db import utcnow
from onestop.deadlines import SEOUL
from onestop.i18n import gettext as _
from onestop.pages import work_calendar_for_request
from onestop.reports.service import GroupBy, Period, service_report
from onestop.reports.service_views import (
    month_headers,
    monthly_points,
    on_time_bars,
    row_label,
    shown,
)
from onestop.reports.zone import zone_figures

bp = Blueprint("council", __name__, url_prefix="/reports")
MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
TEXT = re.compile(r">([^<]+)<")
BETWEEN_SYLLABLES = re.compile(r"(?<=[\uac00-\ud7a3])(?=[\uac00-\ud7a3])")


def last_full_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_bounds(first: date) -> tuple[datetime, datetime]:
    """The month's first moment and the next month's, in Seoul, as aware datetimes."""
    following = (first + timedelta(days=32)).replace(day=1)
    return (datetime.combine(first, time(), SEOUL), datetime.combine(following, time(), SEOUL))


def _chosen_month() -> date:
    text = request.args.get("month", "")
    if not text:
        return last_full_month(utcnow().astimezone(SEOUL).date())
    match = MONTH.fullmatch(text)
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        abort(400)
    return date(int(match.group(1)), int(match.group(2)), 1)


def _eleven_months_before(month: date) -> date:
    year, index = divmod(month.year * 12 + month.month - 1 - 11, 12)
    return date(year, index + 1, 1)


def _context(month: date) -> dict:
    policy.require(current_user, "report.council")
    now = utcnow()
    last_day = (month_bounds(month)[1] - timedelta(days=1)).date()
    calendar = work_calendar_for_request()
    service = service_report(current_user, Period(month, last_day), GroupBy.ORGANIZATION,
                             now=now, calendar=calendar)
    # The trend runs over the twelve months that end with the report's month.
    trend = service_report(current_user, Period(_eleven_months_before(month), last_day),
                           GroupBy.ORGANIZATION, now=now, calendar=calendar)
    bars = on_time_bars(service)
    return {"month": month, "last_day": last_day, "made_at": now,
            "zone": zone_figures(policy.visible_firms(current_user), today=last_day),
            "service": service, "bars": bars, "points": monthly_points(trend),
            "bar_headers": [_("Partner"), _("On-time share (%)"), _("Done on time"),
                            _("Done in the period")],
            "month_headers": month_headers(), "line_name": _("On time (%)"), "shown": shown,
            "label": lambda figures: row_label(service, figures)}


@bp.get("/council")
@login_required
def page():
    month = _chosen_month()
    with force_locale("ko"):
        return render_template("reports/council.html", **_context(month))


@bp.get("/council.pdf")
@login_required
def pdf():
    # Imported on use: it loads Pango, which no other page needs.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    month = _chosen_month()
    with force_locale("ko"):
        html = render_template("reports/council_document.html", **_context(month))
    document = HTML(string=_keep_korean_words_whole(html),
                    base_url=Path(current_app.static_folder).as_uri() + "/",
                    # Only its own stylesheets, from disk; never the network.
                    url_fetcher=URLFetcher(allowed_protocols={"file"}, fail_on_errors=True)
                    ).write_pdf()
    response = Response(document, mimetype="application/pdf")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="council-report-{month:%Y-%m}.pdf"'
    return response


def _keep_korean_words_whole(html: str) -> str:
    """WeasyPrint has no word-break: keep-all, so Korean would break between any two
    syllables: a word joiner (U+2060) between them leaves the spaces as the only breaks."""
    return TEXT.sub(lambda m: ">" + BETWEEN_SYLLABLES.sub("\u2060", m.group(1)) + "<", html)
