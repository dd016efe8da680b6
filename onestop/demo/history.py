"""Six months of finished requests for the demo, so that the service figures have something
to show: walked through the same services, some on time, some late, some waiting on the
firm, most answered by the firm afterwards."""
import random
from datetime import datetime, time, timedelta

from sqlalchemy import update

from onestop.cases import services as cases
from onestop.cases.satisfaction import answer_satisfaction
from onestop.deadlines import SEOUL
from onestop.extensions import db
from onestop.notifications.models import Notification, Status
from onestop.tasks import services as tasks
from onestop.workdays.services import work_calendar

# request type code -> (partner keys, title)
WORK = [
    ("building-permit", ["permits"], "창고동 신축 건축허가"),
    ("factory-approval", ["permits", "environment"], "전구체 공장설립 승인"),
    ("emission-permit", ["environment"], "소성로 배출시설 설치 허가"),
    ("labor-consult", ["union"], "임금체계 개편 노사 상담"),
    ("work-rules", ["union"], "유연근무 취업규칙 검토"),
    ("recruitment", ["jobs", "univ"], "품질관리 인력 채용 지원"),
    ("training", ["univ"], "탄소섬유 공정 재직자 훈련과정"),
    ("employment-subsidy", ["jobs"], "청년 채용 고용장려금"),
]
PARTNER_STAFF = {"permits": "staff@permits.city.example",
                 "environment": "staff@environment.city.example",
                 "union": "staff@union.example", "univ": "staff@univ.example",
                 "jobs": "staff@jobs.example"}
CASES = 40
DAYS_BACK = (175, 30)


def add_history(users, types, orgs, now: datetime, file_case) -> None:
    """File, route, work and finish CASES requests spread over the past six months."""
    rng = random.Random(2026)
    calendar = work_calendar()
    firms = [users["ceo@carbonfiber.example"], users["ceo@composite.example"]]
    desk = users["desk@city.example"]
    ids = []
    for n in range(CASES):
        code, partners, title = WORK[n % len(WORK)]
        back = DAYS_BACK[0] - (DAYS_BACK[0] - DAYS_BACK[1]) * n // CASES
        day = (now - timedelta(days=back)).astimezone(SEOUL).date()
        at = calendar.next_working_moment(datetime.combine(day, time(10), SEOUL))
        firm_user = firms[n % 2]
        case = file_case(firm_user, types[code], f"{title} ({n + 1})", at)
        at = calendar.add_working_time(at, timedelta(hours=rng.choice((1, 2, 3, 6, 9))))
        cases.accept_case(desk, case, now=at, version=None)
        routed = cases.route_case(desk, case, [orgs[p] for p in partners], now=at, version=None)
        staff_of = {task.id: users[PARTNER_STAFF[_key(orgs, task)]] for task in routed}
        accepted = calendar.add_working_time(at, timedelta(hours=1))
        for task in routed:
            tasks.accept_task(staff_of[task.id], task, now=accepted, version=None)
        plans = []
        for task in routed:
            moment = accepted
            if len(routed) == 1 and rng.random() < 0.3:
                moment = calendar.add_working_time(moment, timedelta(hours=2))
                tasks.request_information(staff_of[task.id], task, "추가 서류를 보내 주세요.",
                                          now=moment, version=None)
                moment = calendar.add_working_time(moment, timedelta(hours=rng.randint(6, 24)))
                cases.add_comment(firm_user, case, "보완 서류를 첨부했습니다.", now=moment)
            # Mostly well inside the period; one in five runs past the due date.
            if rng.random() < 0.2:
                end = calendar.add_working_time(task.due_at, timedelta(hours=rng.randint(2, 30)))
            else:
                end = min(task.due_at, calendar.add_working_time(
                    moment, timedelta(hours=rng.randint(3, 40))))
            plans.append((max(moment, min(end, now - timedelta(days=2))), task.id, task))
        for end, _, task in sorted(plans):
            tasks.complete_task(staff_of[task.id], task, "처리했습니다.", now=end, version=None)
        finished = max(end for end, _, _ in plans)
        if case.status == "resolved" and rng.random() < 0.75:
            answer_satisfaction(firm_user, case, rng.choice((5, 5, 4, 4, 4, 3, 2)),
                                rng.choice(("", "", "신속하게 처리해 주셔서 감사합니다.",
                                            "서류 보완 안내가 더 일찍 있었으면 합니다.")),
                                now=finished + timedelta(days=1))
        ids.append(case.id)
    db.session.flush()
    # These messages belong to the past: sent and read then, not to be sent now.
    db.session.execute(update(Notification).where(Notification.case_id.in_(ids))
                       .values(status=Status.SENT, sent_at=now, read_at=now))


def _key(orgs, task) -> str:
    return next(key for key, org in orgs.items() if org.id == task.organization_id)
