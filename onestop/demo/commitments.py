"""Demo agreements of the two demo firms: targets over three phases, incentives, and reports
in every state, walked through the same services the pages use."""
from datetime import date, datetime, timedelta

from onestop.commitments import services
from onestop.commitments.models import Agreement, Incentive, Target
from onestop.extensions import db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BILLION = 1_000_000_000

# firm key -> (signed, [(phase, year, investment in billions, jobs)], [(name, measure, KRW, %)])
AGREEMENTS = {
    "A": (date(2023, 6, 12),
          [(1, 2024, 120, 80), (1, 2025, 150, 120), (2, 2026, 180, 150), (3, 2027, 100, 100)],
          [("입지보조금", "investment", 12 * BILLION, 100), ("고용보조금", "jobs", 3 * BILLION, 50)]),
    "B": (date(2023, 9, 4),
          [(1, 2024, 60, 40), (2, 2025, 90, 60), (3, 2026, 70, 50)],
          [("설비투자보조금", "investment", 6 * BILLION, 100)]),
}


def seed_commitments(firms: dict, users: dict, now: datetime) -> None:
    for key, (signed, targets, incentives) in AGREEMENTS.items():
        agreement = Agreement(firm=firms[key], signed_on=signed,
                              notes="투자협약서 및 부속서(연차별 투자·고용 계획)")
        db.session.add(agreement)
        for phase, year, billions, jobs in targets:
            due = date(year + 1, 3, 31)
            agreement.targets += [
                Target(measure="investment", phase=phase, year=year, amount=billions * BILLION,
                       report_due_on=due),
                Target(measure="jobs", phase=phase, year=year, amount=jobs, report_due_on=due)]
        agreement.incentives += [Incentive(name=name, measure=measure, amount=amount,
                                           recoverable_percent=percent)
                                 for name, measure, amount, percent in incentives]
    db.session.flush()
    desk, ceo_a, ceo_b = (users[e] for e in ("desk@city.example", "ceo@carbonfiber.example",
                                             "ceo@composite.example"))
    day = timedelta(days=1)

    def report(actor, firm, measure, year, phase, amount, at, note=""):
        return services.report_actual(actor, firm, measure=measure, year=year, phase=phase,
                                      amount=amount, note=note, now=at,
                                      files=[("증빙자료.pdf", PDF)])

    a, b = firms["A"], firms["B"]
    for measure, amount in (("investment", 125 * BILLION), ("jobs", 84)):
        services.verify_report(desk, report(ceo_a, a, measure, 2024, 1, amount, now - 300 * day),
                               now=now - 290 * day)
    report(ceo_a, a, "investment", 2025, 1, 140 * BILLION, now - 5 * day,
           note="2라인 설비 도입분 포함")
    services.verify_report(desk, report(ceo_b, b, "investment", 2024, 1, 35 * BILLION,
                                        now - 280 * day), now=now - 270 * day)
    returned = report(ceo_b, b, "jobs", 2024, 1, 40, now - 60 * day)
    services.return_report(desk, returned, "4대보험 가입자 명부를 첨부해 주세요.",
                           now=now - 55 * day)
