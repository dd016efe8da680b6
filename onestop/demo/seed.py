"""Demo data: the city desk, five partners, the catalog, two firms with cases in every state,
and the zone's agreements (demo/zone.py)."""
from datetime import datetime, timedelta

from sqlalchemy import select

from onestop.accounts.models import Role, User
from onestop.accounts.services import hash_password
from onestop.cases import services as cases
from onestop.catalog.models import RequestType
from onestop.db import utcnow
from onestop.demo.history import add_history
from onestop.demo.zone import seed_zone
from onestop.extensions import db
from onestop.firms.models import Firm
from onestop.orgs.models import Organization, OrgKind
from onestop.replies.models import CannedReply
from onestop.tasks import services as tasks

DEMO_PASSWORD = "demo-pass-2026"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

ORGANIZATIONS = [
    ("desk", "투자유치 원스톱 지원센터", "One-Stop Investor Support Desk", OrgKind.CITY_DESK),
    ("permits", "시 건축허가과", "City Building Permits Division", OrgKind.CITY_DIVISION),
    ("environment", "시 환경정책과", "City Environment Division", OrgKind.CITY_DIVISION),
    ("union", "지역 노사민정협의회", "Regional Labor Union Council", OrgKind.LABOR_UNION),
    ("univ", "국립대학교 산학협력단", "National University Industry-Academia Foundation",
     OrgKind.UNIVERSITY),
    ("jobs", "지역 고용센터", "Regional Employment Center", OrgKind.EMPLOYMENT_CENTER),
]

def _number(name, ko, en, unit_ko, unit_en=None, kind="number") -> dict:
    return {"name": name, "ko": ko, "en": en, "required": True, "kind": kind,
            "unit": {"ko": unit_ko, "en": unit_en or unit_ko}}


# code, ko, en, category, period, partner keys, checklist [(ko, en)], form fields
REQUEST_TYPES = [
    ("factory-approval", "공장설립 승인", "Factory establishment approval", "permit", "20d",
     ["permits", "environment"],
     [("사업계획서", "Business plan"), ("토지이용계획확인서", "Land-use plan certificate"),
      ("공장 배치도", "Factory layout")],
     [_number("site_area", "부지 면적", "Site area", "㎡")]),
    ("building-permit", "건축 허가", "Building permit", "permit", "10d", ["permits"],
     [("설계도서", "Design drawings"), ("건축허가 신청서", "Permit application form")],
     [_number("floor_area", "연면적", "Floor area", "㎡")]),
    ("emission-permit", "배출시설 설치 허가", "Emission facility permit", "permit", "15d",
     ["environment"], [("배출시설 명세서", "Emission facility specification")], []),
    ("labor-consult", "노사관계 상담", "Labor relations consultation", "labor", "5d", ["union"],
     [("상담 요청서", "Consultation request")], []),
    ("work-rules", "취업규칙 검토", "Work rules review", "labor", "7d", ["union"],
     [("취업규칙 초안", "Draft work rules")], []),
    ("recruitment", "채용 지원", "Recruitment support", "hiring", "2w", ["jobs", "univ"],
     [("채용 계획서", "Hiring plan")],
     [_number("headcount", "채용 인원", "Headcount", "명", "people", kind="integer")]),
    ("training", "맞춤형 훈련과정", "Customized training program", "hiring", "1m", ["univ"],
     [("훈련 수요서", "Training needs statement")], []),
    ("employment-subsidy", "고용장려금", "Employment subsidy", "hiring", "10d", ["jobs"],
     [("고용보험 가입 확인서", "Employment insurance certificate"),
      ("근로계약서 사본", "Copies of employment contracts")], []),
    ("other", "기타 문의", "Other inquiry", "other", "3d", [], [], []),
]

# email, name, role, org key or firm key
ACCOUNTS = [
    ("admin@city.example", "관리자 김민준", Role.ADMIN, "desk"),
    ("desk@city.example", "원스톱 이서연", Role.CASEWORKER, "desk"),
    ("lead@union.example", "노사 박지훈", Role.PARTNER_LEAD, "union"),
    ("staff@union.example", "노사 최유진", Role.PARTNER, "union"),
    ("staff@univ.example", "산학 정하늘", Role.PARTNER, "univ"),
    ("staff@permits.city.example", "건축 한도윤", Role.PARTNER, "permits"),
    ("staff@environment.city.example", "환경 오세린", Role.PARTNER, "environment"),
    ("staff@jobs.example", "고용 윤태호", Role.PARTNER, "jobs"),
    ("ceo@carbonfiber.example", "한국카본 대표 강민호", Role.FIRM, "A"),
    ("hr@carbonfiber.example", "한국카본 인사 송지아", Role.FIRM, "A"),
    ("ceo@composite.example", "컴포지트 대표 임재현", Role.FIRM, "B"),
]

# org key, author, title, text: the desk's and partners' reusable texts.
REPLIES = [
    ("desk", "desk@city.example", "접수 확인",
     "요청을 접수했습니다. 담당 협업기관에 배정하고 진행 상황을 이 화면에서 알려 드리겠습니다."),
    ("desk", "desk@city.example", "현장 방문 일정 문의",
     "현장 확인이 필요합니다. 방문 가능한 날짜와 시간을 두세 가지 알려 주세요."),
    ("permits", "staff@permits.city.example", "설계도서 보완",
     "제출하신 설계도서에 배치도와 층별 평면도가 빠져 있습니다. 보완해 주시면 바로 검토하겠습니다."),
    ("union", "lead@union.example", "노사 협의 일정",
     "노사 협의회 일정을 잡으려 합니다. 참석하실 분의 이름과 연락처를 알려 주세요."),
]

FIRMS = {
    "A": ("한국카본화이버(주)", "1234567891", "탄소섬유 제조", "탄소소재 국가산단 A-3블록", 1),
    "B": ("컴포지트솔루션(주)", "2208162517", "탄소복합재 부품", "탄소소재 국가산단 B-1블록", 2),
}


def seed(now: datetime | None = None) -> bool:
    """Load everything once; returns False when the demo data is there already. The zone's
    agreements are added to a demo loaded before they existed."""
    now = now or utcnow()
    password = hash_password(DEMO_PASSWORD)
    created = False
    if not db.session.scalar(select(User.id).where(User.email == "admin@city.example")):
        _base(password, now)
        created = True
    desk = db.session.scalar(select(User).where(User.email == "desk@city.example"))
    created = seed_zone(desk, password, now) or created
    db.session.commit()
    return created


def _base(password: str, now: datetime) -> None:
    orgs = {key: Organization(name=ko, name_en=en, kind=kind)
            for key, ko, en, kind in ORGANIZATIONS}
    db.session.add_all(orgs.values())
    types = {}
    for code, ko, en, category, period, partners, checklist, fields in REQUEST_TYPES:
        types[code] = RequestType(
            code=code, name=ko, name_en=en, category=category, period=period,
            default_partners=[orgs[p] for p in partners],
            checklist=[{"ko": k, "en": e} for k, e in checklist],
            form_fields=fields)
    db.session.add_all(types.values())
    users = {}
    for email, name, role, where in ACCOUNTS:
        users[email] = User(email=email, name=name, role=role, password_hash=password,
                            organization=orgs.get(where) if role != Role.FIRM else None)
    db.session.add_all(users.values())
    desk = users["desk@city.example"]
    firms = {key: Firm(name=name, brn=brn, industry=industry, site=site, phase=phase,
                       account_officer=desk)
             for key, (name, brn, industry, site, phase) in FIRMS.items()}
    db.session.add_all(firms.values())
    for email, _name, role, where in ACCOUNTS:
        if role == Role.FIRM:
            users[email].firm = firms[where]
    db.session.flush()
    db.session.add_all(CannedReply(organization_id=orgs[org].id, created_by=users[author],
                                   title=title, body=body, created_at=now, updated_at=now)
                       for org, author, title, body in REPLIES)
    _cases(users, types, orgs, now)
    add_history(users, types, orgs, now, _file)


def _file(actor, request_type, title, at, *, description="", complete=True, fields=None):
    return cases.file_case(
        actor, request_type, title=title, description=description or title, priority="normal",
        form_data=fields or {f["name"]: "1200" for f in request_type.form_fields},
        checked_items=list(range(len(request_type.checklist))) if complete else [],
        files=[("사업계획서.pdf", PDF)], now=at)


def _cases(users, types, orgs, now) -> None:
    """One case in every state, walked through the same services the pages use."""
    desk, ceo_a, hr_a, ceo_b = (users[e] for e in ("desk@city.example", "ceo@carbonfiber.example",
                                                   "hr@carbonfiber.example",
                                                   "ceo@composite.example"))
    union_lead, permits, univ = (users[e] for e in ("lead@union.example",
                                                    "staff@permits.city.example",
                                                    "staff@univ.example"))
    day = timedelta(days=1)

    def accept_and_route(case, at, partners):
        cases.accept_case(desk, case, now=at, version=None)
        return cases.route_case(desk, case, [orgs[p] for p in partners], now=at, version=None)

    _file(ceo_a, types["employment-subsidy"], "신규 채용 20명 고용장려금 신청", now - 2 * day)
    _file(ceo_b, types["building-permit"], "2공장 증축 건축허가", now - day, complete=False)

    triaged = _file(hr_a, types["work-rules"], "취업규칙 개정안 검토 요청", now - 3 * day)
    cases.accept_case(desk, triaged, now=now - 2 * day, version=None)

    busy = _file(ceo_a, types["factory-approval"], "탄소섬유 2라인 공장설립 승인", now - 10 * day)
    permit_task = accept_and_route(busy, now - 9 * day, ["permits", "environment"])[0]
    tasks.accept_task(permits, permit_task, now=now - 8 * day, version=None)

    waiting = _file(ceo_b, types["recruitment"], "생산직 30명 채용 지원", now - 8 * day)
    univ_task = accept_and_route(waiting, now - 7 * day, ["jobs", "univ"])[1]
    tasks.accept_task(univ, univ_task, now=now - 6 * day, version=None)
    tasks.request_information(univ, univ_task, "직무별 필요 역량과 채용 일정을 알려 주세요.",
                              now=now - 5 * day, version=None)

    late = _file(hr_a, types["labor-consult"], "교대근무제 도입 노사 상담", now - 20 * day)
    (union_task,) = accept_and_route(late, now - 19 * day, ["union"])
    tasks.assign_task(union_lead, union_task, users["staff@union.example"], now=now - 19 * day,
                      version=None)

    resolved = _file(ceo_a, types["emission-permit"], "도장 공정 배출시설 설치 허가", now - 30 * day)
    (task,) = accept_and_route(resolved, now - 29 * day, ["environment"])
    env = users["staff@environment.city.example"]
    tasks.accept_task(env, task, now=now - 28 * day, version=None)
    tasks.complete_task(env, task, "허가증을 발급했습니다. 원본은 민원실에서 받으세요.",
                        now=now - 3 * day, version=None)

    closed = _file(ceo_b, types["training"], "복합재 성형 맞춤형 훈련과정", now - 60 * day)
    (task,) = accept_and_route(closed, now - 59 * day, ["univ"])
    tasks.accept_task(univ, task, now=now - 58 * day, version=None)
    tasks.complete_task(univ, task, "3월부터 12주 과정을 개설합니다.", now=now - 40 * day,
                        version=None)
    cases.close_case(desk, closed, now=now - 25 * day, version=None)

    rejected = _file(ceo_b, types["other"], "주차장 문의", now - 15 * day)
    cases.reject_case(desk, rejected, "관할 구청 소관입니다. 구청 교통과로 문의해 주세요.",
                      now=now - 14 * day, version=None)

    withdrawn = _file(hr_a, types["recruitment"], "연구직 채용 지원", now - 12 * day)
    accept_and_route(withdrawn, now - 11 * day, ["jobs"])
    cases.withdraw_case(hr_a, withdrawn, "자체 채용으로 진행합니다.", now=now - 10 * day, version=None)
