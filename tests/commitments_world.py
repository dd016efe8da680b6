"""Agreements for the test world's two firms, and a helper that reports through the service."""
from datetime import date

from onestop.commitments import services
from onestop.commitments.models import Agreement, Incentive, Target
from onestop.extensions import db
from tests.factories import NOW, PDF

BILLION = 1_000_000_000


def agreements(world) -> dict:
    """Firm A: 2025 (phase 1) and 2026 (phase 2) targets, reports due 31 March of the next
    year; firm B: 2025 only. Returns {firm key: Agreement}."""
    made = {}
    for key, firm, years in (("A", world.firm_a, [(1, 2025), (2, 2026)]),
                             ("B", world.firm_b, [(1, 2025)])):
        agreement = Agreement(firm=firm, signed_on=date(2024, 5, 1))
        for phase, year in years:
            due = date(year + 1, 3, 31)
            agreement.targets += [
                Target(measure="investment", phase=phase, year=year, amount=100 * BILLION,
                       report_due_on=due),
                Target(measure="jobs", phase=phase, year=year, amount=50, report_due_on=due)]
        agreement.incentives.append(Incentive(name="site subsidy", measure="investment",
                                              amount=10 * BILLION, recoverable_percent=50))
        db.session.add(agreement)
        made[key] = agreement
    db.session.flush()
    return made


def report(user, firm, *, measure="investment", year=2025, phase=1, amount=60 * BILLION,
           note="", files=None, now=NOW):
    return services.report_actual(user, firm, measure=measure, year=year, phase=phase,
                                  amount=amount, note=note, now=now,
                                  files=[("evidence.pdf", PDF)] if files is None else files)
