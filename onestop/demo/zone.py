"""Demo data of the zone agreement: twelve firms (seven anchors) promising 807.2 billion KRW and
2,233 jobs over three phases to 2028, with yearly targets, incentives, and the reports so far —
some firms ahead, some behind, a few reports waiting for verification and one returned."""
from datetime import date, datetime, timedelta

from sqlalchemy import select

from onestop.accounts.models import Role, User
from onestop.commitments.models import (
    ActualReport,
    Agreement,
    ClawbackRule,
    Incentive,
    Measure,
    ReportStatus,
    Target,
)
from onestop.deadlines import SEOUL
from onestop.extensions import db
from onestop.firms.models import Firm

EOK = 100_000_000  # 억 원
PHASE_OF_YEAR = {2024: 1, 2025: 1, 2026: 2, 2027: 2, 2028: 3}
# A firm's promise spread over the years (percent a year), by the phase it entered in.
SCHEDULES = {
    1: {Measure.INVESTMENT: {2024: 20, 2025: 30, 2026: 25, 2027: 15, 2028: 10},
        Measure.JOBS: {2024: 10, 2025: 20, 2026: 25, 2027: 25, 2028: 20}},
    2: {Measure.INVESTMENT: {2026: 40, 2027: 40, 2028: 20},
        Measure.JOBS: {2026: 30, 2027: 40, 2028: 30}},
    3: {Measure.INVESTMENT: {2028: 100}, Measure.JOBS: {2028: 100}},
}
SIGNED_ON = {1: date(2023, 11, 20), 2: date(2025, 6, 10), 3: date(2026, 3, 16)}
INV, JOBS = Measure.INVESTMENT, Measure.JOBS
V, S, R = ReportStatus.VERIFIED, ReportStatus.SUBMITTED, ReportStatus.RETURNED
RETURN_REASON = "4대보험 가입자 명부가 빠져 있습니다. 명부를 첨부해 다시 보고해 주세요."

# brn: name, industry, site, phase, investment (억 원), jobs, clawback rule, named publicly,
# its first member (address slug, CEO's name) or None when the base demo has its members,
# reports: (measure, year, percent of that year's target, status)
FIRMS = {
    "1234567891": ("한국카본화이버(주)", "탄소섬유 제조", "탄소소재 국가산단 A-3블록", 1, 2150, 520,
                   ClawbackRule.PROPORTIONAL, True, None,
                   [(INV, 2024, 100, V), (INV, 2025, 110, V), (INV, 2026, 60, S),
                    (JOBS, 2024, 100, V), (JOBS, 2025, 120, V), (JOBS, 2026, 90, V)]),
    "2208162517": ("컴포지트솔루션(주)", "탄소복합재 부품", "탄소소재 국가산단 B-1블록", 2, 985, 260,
                   ClawbackRule.PROPORTIONAL, False, None,
                   [(INV, 2026, 50, V), (JOBS, 2026, 40, S)]),
    "3148120452": ("탄소나노소재(주)", "탄소나노튜브 소재", "탄소소재 국가산단 A-5블록", 1, 1420, 380,
                   ClawbackRule.PROPORTIONAL, True, ("nanomat", "배현우"),
                   [(INV, 2024, 100, V), (INV, 2025, 60, V), (JOBS, 2024, 100, V),
                    (JOBS, 2025, 100, V)]),
    "4158631029": ("그린수소탱크(주)", "수소저장용기", "탄소소재 국가산단 A-7블록", 1, 880, 240,
                   ClawbackRule.ALL_OR_NOTHING, False, ("h2tank", "남궁진"),
                   [(INV, 2024, 100, V), (INV, 2025, 100, V), (JOBS, 2024, 100, V),
                    (JOBS, 2025, 80, V), (JOBS, 2025, 20, R)]),
    "5068172393": ("카본블랙케미칼(주)", "카본블랙", "탄소소재 국가산단 B-3블록", 2, 764, 190,
                   ClawbackRule.PROPORTIONAL, False, ("carbonblack", "서지훈"),
                   [(INV, 2026, 30, S)]),
    "6128144571": ("첨단흑연(주)", "인조흑연 음극재", "탄소소재 국가산단 B-4블록", 2, 640, 175,
                   ClawbackRule.PROPORTIONAL, False, ("graphite", "유나래"), []),
    "1378633904": ("경량소재모빌리티(주)", "경량 차체 부품", "탄소소재 국가산단 C-1블록", 3, 520, 160,
                   ClawbackRule.PROPORTIONAL, False, ("mobility", "조은비"),
                   []),
    "2248750164": ("카본소재가공(주)", "탄소소재 가공", "탄소소재 국가산단 A-9블록", 1, 185, 72,
                   ClawbackRule.PROPORTIONAL, False, ("process", "문태준"),
                   [(INV, 2024, 100, V), (INV, 2025, 100, V), (JOBS, 2024, 100, V),
                    (JOBS, 2025, 100, V)]),
    "3188166241": ("탄소섬유리사이클(주)", "탄소섬유 재생", "탄소소재 국가산단 B-6블록", 2, 152, 64,
                   ClawbackRule.PROPORTIONAL, False, ("recycle", "권소영"),
                   []),
    "4098671351": ("복합재금형(주)", "복합재 금형", "탄소소재 국가산단 A-11블록", 1, 126, 58,
                   ClawbackRule.PROPORTIONAL, False, ("mold", "황보석"),
                   [(INV, 2024, 80, V), (INV, 2025, 40, V), (INV, 2025, 40, S),
                    (JOBS, 2024, 50, V)]),
    "5138152487": ("나노코팅(주)", "기능성 코팅", "탄소소재 국가산단 B-8블록", 2, 140, 60,
                   ClawbackRule.PROPORTIONAL, False, ("coating", "표하람"),
                   [(JOBS, 2026, 50, S)]),
    "6058643716": ("탄소세라믹브레이크(주)", "탄소세라믹 제동장치", "탄소소재 국가산단 C-3블록", 3, 110, 54,
                   ClawbackRule.PROPORTIONAL, False, ("ceramic", "석민재"),
                   []),
}


def spread(total: int, shares: dict[int, int]) -> dict[int, int]:
    """total split by yearly percent shares; the rounding goes to the last year."""
    parts = {year: total * share // 100 for year, share in shares.items()}
    parts[max(parts)] += total - sum(parts.values())
    return parts


def seed_zone(desk: User, password_hash: str, now: datetime) -> bool:
    """The zone's agreements, once: nothing is done when any agreement exists."""
    if db.session.scalar(select(Agreement.id).limit(1)):
        return False
    existing = {firm.brn: firm for firm in db.session.scalars(
        select(Firm).where(Firm.brn.in_(FIRMS)))}
    for brn, (name, industry, site, phase, eok, jobs, rule, named, member,
              reports) in FIRMS.items():
        firm = existing.get(brn) or Firm(name=name, brn=brn, industry=industry, site=site,
                                         phase=phase, account_officer=desk)
        firm.is_named_publicly = named
        reporter = _member(firm, member, password_hash)
        targets = _agreement(firm, phase, rule, {INV: eok * EOK, JOBS: jobs})
        for measure, year, percent, status in reports:
            _report(firm, reporter, desk, measure, year, targets[measure][year] * percent // 100,
                    status, now)
    db.session.flush()
    return True


def _member(firm: Firm, member: tuple[str, str] | None, password_hash: str) -> User:
    if member is None:
        return db.session.scalars(select(User).where(User.firm_id == firm.id)
                                  .order_by(User.id)).first()
    slug, person = member
    email = f"ceo@{slug}.example"
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=f"{firm.name.removesuffix('(주)')} 대표 {person}",
                    role=Role.FIRM, password_hash=password_hash, firm=firm)
        db.session.add(user)
    return user


def _agreement(firm: Firm, phase: int, rule: str, promised: dict[str, int]):
    agreement = Agreement(firm=firm, signed_on=SIGNED_ON[phase], clawback_rule=rule,
                          notes="투자협약서 및 부속서(연도별 투자·고용 계획)")
    targets = {}
    for measure, total in promised.items():
        targets[measure] = spread(total, SCHEDULES[phase][measure])
        for year, amount in targets[measure].items():
            agreement.targets.append(Target(measure=measure, phase=PHASE_OF_YEAR[year], year=year,
                                            amount=amount, report_due_on=date(year + 1, 1, 31)))
    investment_eok = promised[INV] // EOK
    agreement.incentives += [
        # 4% of the investment as the local investment subsidy, fully recoverable.
        Incentive(name="지방투자촉진보조금", measure=INV, amount=investment_eok * 4 * EOK // 100,
                  recoverable_percent=100),
        Incentive(name="지방세 감면", measure=INV, amount=investment_eok * EOK // 100,
                  recoverable_percent=50),
        # 600,000 KRW a month for a year for each new job.
        Incentive(name="고용창출장려금", measure=JOBS, amount=promised[JOBS] * 7_200_000,
                  recoverable_percent=100),
    ]
    db.session.add(agreement)
    return targets


def _report(firm, reporter, desk, measure, year, amount, status, now) -> None:
    if year < now.astimezone(SEOUL).year:  # last year's or earlier: reported in January
        submitted_at = datetime(year + 1, 1, 20, 10, tzinfo=SEOUL)
        reviewed_at = submitted_at + timedelta(days=14)
    else:
        submitted_at, reviewed_at = now - timedelta(days=6), now - timedelta(days=2)
    unit = "원" if measure == INV else "명"
    db.session.add(ActualReport(
        firm=firm, measure=measure, year=year, phase=PHASE_OF_YEAR[year], amount=amount,
        note=f"{year}년 실적 {amount:,}{unit}", status=status, submitted_by=reporter,
        submitted_at=submitted_at,
        return_reason=RETURN_REASON if status == R else "",
        reviewed_by=desk if status != S else None,
        reviewed_at=reviewed_at if status != S else None))
