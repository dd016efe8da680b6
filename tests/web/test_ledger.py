"""The admin's notification ledger shows a message whose outcome is unknown for what it is."""
from sqlalchemy import select

from onestop.cases import services as cases
from onestop.extensions import db
from onestop.notifications import delivery
from onestop.notifications.models import Notification, Status
from tests.factories import NOW


def ledger_rows(world) -> tuple[Notification, Notification]:
    """A row sent once without an answer (to be tried once more) and one whose outcome is
    unknown after two silences."""
    case = cases.file_case(world.firm_a_user, world.hiring_type, title="Hire", description="d",
                           priority="normal", form_data={}, checked_items=[], files=[], now=NOW)
    rows = []
    for n, (status, unanswered) in enumerate([(Status.QUEUED, 1), (Status.UNKNOWN, 2)]):
        row = Notification(key=f"ledger-{n}", user_id=world.union_staff.id, kind="task_due",
                           case_id=case.id, status=status, attempts=unanswered,
                           unanswered_attempts=unanswered, created_at=NOW,
                           last_error="Outcome unknown: no answer from the mail server")
        db.session.add(row)
        rows.append(row)
    db.session.commit()
    return rows[0], rows[1]


def test_unknown_outcomes_are_labelled_in_korean_and_english_and_can_be_resent(browser, world):
    retrying, unknown = ledger_rows(world)
    admin = browser("admin@test.example")
    korean = admin.get("/admin/notifications").get_data(as_text=True)
    assert '<span class="badge ledger-unknown">전달 여부 불명</span>' in korean
    assert "응답 없이 전송: 1회 · 한 번 더 보내는 중" in korean
    assert "응답 없이 전송: 2회 · 이미 도착했을 수 있음" in korean

    admin.post("/language", {"locale": "en"})
    english = admin.get("/admin/notifications?status=unknown").get_data(as_text=True)
    assert '<span class="badge ledger-unknown">outcome unknown</span>' in english
    assert "Sent without an answer: 2× · it may have arrived" in english
    assert "trying once more" not in english, "the filter shows unknown rows only"
    assert f"/admin/notifications/{unknown.id}/resend" in english

    response = admin.post(f"/admin/notifications/{unknown.id}/resend")
    assert response.status_code == 303
    db.session.expire_all()
    row = db.session.get(Notification, unknown.id)
    assert (row.status, row.attempts, row.unanswered_attempts) == (Status.QUEUED, 0, 2)
    assert db.session.scalar(select(Notification.status).where(
        Notification.id == retrying.id)) == Status.QUEUED
    assert delivery.claim(row.id, NOW) is not None, "the resend is claimable at once"
