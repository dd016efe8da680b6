"""The zone's progress against the firms' promises: the desk's view with its downloads, and the
public page anyone may read without signing in."""
from collections.abc import Iterable
from datetime import date, timedelta

from flask import Blueprint, make_response, render_template, request
from flask_babel import force_locale, get_locale
from flask_login import current_user, login_required
from sqlalchemy import true

from onestop import policy
from onestop.commitments.models import Measure
from onestop.db import utcnow
from onestop.deadlines import SEOUL
from onestop.exports import download
from onestop.firms.models import PHASES
from onestop.i18n import gettext as _
from onestop.reports import numbers
from onestop.reports.service import Period, public_service
from onestop.reports.zone import Tally, ZoneFigures, zone_figures

bp = Blueprint("zone", __name__)
# The by-firm chart draws the firms furthest behind; every firm is in the table under it.
CHART_FIRMS = 15
# The public page changes when a report is verified; a few minutes' staleness is fine.
PUBLIC_MAX_AGE = 300
LANGUAGES = ("ko", "en")

for name in ("krw_short", "exact", "people", "percent"):
    bp.add_app_template_filter(getattr(numbers, name), name)


def _today() -> date:
    return utcnow().astimezone(SEOUL).date()


@bp.get("/reports/zone")
@login_required
def view():
    policy.require(current_user, "zone.view")
    today = _today()
    figures = zone_figures(policy.visible_firms(current_user), today=today)
    return render_template("reports/zone.html", figures=figures, today=today,
                           firm_chart=[(firm.name, firm.measures)
                                       for firm in figures.firms[:CHART_FIRMS]],
                           phase_names={phase: _("Phase %(n)d", n=phase) for phase in PHASES})


def _tally_cells(tally: Tally, *, shortfall: int | None = None) -> list[int]:
    cells = [tally.promised, tally.due, tally.verified, tally.pending]
    return cells if shortfall is None else [*cells, shortfall]


def _measure_headers(with_shortfall: bool) -> list[str]:
    names = [_("promised"), _("due so far"), _("verified"), _("pending verification")]
    if with_shortfall:
        names.append(_("shortfall"))
    return [f"{_('Investment (KRW)')}: {n}" for n in names] + [
        f"{_('Jobs')}: {n}" for n in names]


def _firm_table(figures: ZoneFigures) -> tuple[list[str], Iterable[list]]:
    header = [_("Firm"), _("Phase"), _("Account officer"), *_measure_headers(True),
              _("Incentive at risk (KRW)"), _("Behind target")]
    rows = ([firm.name, firm.phase, firm.officer_name,
             *_tally_cells(firm.investment, shortfall=firm.investment.shortfall),
             *_tally_cells(firm.jobs, shortfall=firm.jobs.shortfall),
             firm.incentive_at_risk, _("yes") if firm.is_behind else _("no")]
            for firm in figures.firms)
    return header, rows


def _grouped_table(label: str, groups: dict[int, dict[str, Tally]]):
    header = [label, *_measure_headers(False)]
    rows = ([key, *_tally_cells(tallies[Measure.INVESTMENT]), *_tally_cells(tallies[Measure.JOBS])]
            for key, tallies in groups.items())
    return header, rows


@bp.get("/reports/zone/<any(firms, phases, years):table>.<any(csv, xlsx):fmt>")
@login_required
def export(table: str, fmt: str):
    """A table of the zone view as a file: the same firms, the same figures."""
    policy.require(current_user, "zone.view")
    today = _today()
    figures = zone_figures(policy.visible_firms(current_user), today=today)
    if table == "firms":
        header, rows = _firm_table(figures)
    elif table == "phases":
        header, rows = _grouped_table(_("Phase"), figures.by_phase)
    else:
        header, rows = _grouped_table(_("Year"), figures.by_year)
    return download(fmt, f"zone-{table}-{today.isoformat()}", header, rows)


@bp.get("/zone")
def public():
    """The zone's figures for anyone: totals and phases, the names of firms that agreed only.

    The language comes from the address (not the session), so one URL is one page and shared
    caches may keep it."""
    signed_in = current_user.is_authenticated
    wanted = request.args.get("lang")
    language = wanted if wanted in LANGUAGES else str(get_locale()) if signed_in else "ko"
    today = _today()
    figures = zone_figures(true(), today=today)
    named = [(firm.name, firm.phase) for firm in sorted(figures.firms, key=lambda f: f.name)
             if policy.named_publicly(firm)]
    with force_locale(language):
        html = render_template("reports/zone_public.html", today=today, total=figures.total,
                               by_phase=figures.by_phase, firm_count=len(figures.firms),
                               named=named, language=language,
                               service=public_service(Period(today - timedelta(days=364), today)))
    response = make_response(html)
    response.headers["Content-Language"] = language
    if not signed_in:  # a signed-in page carries the reader's name: never stored (pages.py)
        response.cache_control.public = True
        response.cache_control.max_age = PUBLIC_MAX_AGE
        response.add_etag()
        response.make_conditional(request)
    return response
