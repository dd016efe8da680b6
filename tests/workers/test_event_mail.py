"""Event emails and daily digests through a real worker, Redis, PostgreSQL and SMTP server."""
import time
from collections import Counter

from sqlalchemy import func, select

from onestop.cases import services as cases
from onestop.extensions import db
from onestop.notifications.models import Notification, Status
from tests.factories import World, make_user
from tests.workers.harness import BUILT_AT, SETTLE, flask_cli, wait_for

CONCURRENCY = 2  # CELERY_WORKER_CONCURRENCY's default: the workers here run with it


def file_and_route(world: World, title: str, orgs) -> object:
    case = cases.file_case(world.firm_a_user, world.hiring_type, title=title, description="d",
                           priority="normal", form_data={}, checked_items=[], files=[],
                           now=BUILT_AT)
    cases.accept_case(world.desk, case, now=BUILT_AT, version=None)
    cases.route_case(world.desk, case, orgs, now=BUILT_AT, version=None)
    return case


def rows_by_status(kind: str | None = None) -> Counter:
    db.session.rollback()
    stmt = select(Notification.status, func.count()).group_by(Notification.status)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return Counter(dict(db.session.execute(stmt).all()))


def test_a_routed_task_reaches_its_partner_by_email_at_once(shared_redis, deploy, smtp, procs):
    mail = smtp()
    deployment = deploy(shared_redis, SMTP_URL=mail.url)
    procs.worker(deployment)
    world = World.build()
    case = file_and_route(world, "Hiring round", [world.union])
    db.session.commit()  # the messages are queued once this commits

    wait_for(lambda: rows_by_status() == {"sent": 5}, timeout=60,
             what="filed, accepted and routed: 5 emails sent", detail=rows_by_status)
    time.sleep(SETTLE)
    received = {m.recipients[0]: m for m in mail.received()}
    assert len(mail.received()) == 5
    assert set(received) == {"desk@test.example", "ceo@alpha.test", "hr@alpha.test",
                             "lead@union.test", "staff@union.test"}
    routed = received["staff@union.test"]
    task = case.tasks[0]
    assert routed.subject.startswith(f"[{case.reference}] ")
    assert f"/tasks/{task.id}" in routed.text
    assert routed.reply_to.startswith("reply+")


def test_each_digest_lists_the_days_events_once_even_when_a_worker_dies(shared_redis, deploy,
                                                                         smtp, procs):
    mail = smtp(delay=0.02)  # slow enough for the kills to land mid-run
    deployment = deploy(shared_redis, SMTP_URL=mail.url, NOTIFY_LEASE_SECONDS=10,
                        NOTIFY_REQUEUE_AFTER_SECONDS=10, REMINDER_SWEEP_SECONDS=1)
    world = World.build()
    members = [make_user(f"p{n:03d}@union.test", "partner", organization=world.union)
               for n in range(300)]
    for user in [*members, world.union_lead, world.union_staff]:
        user.notification_choices = {"task_routed": "digest"}
    db.session.flush()
    titles = [f"Round {n}" for n in range(3)]
    for title in titles:
        file_and_route(world, title, [world.union])
    db.session.commit()
    assert rows_by_status("task_routed") == {"digest": 3 * 302}

    procs.beat(deployment)
    worker = procs.worker(deployment, "w0")
    result = flask_cli(deployment, "reminders", "sweep", "--at", "2026-11-11T09:00")
    assert result.returncode == 0, result.stderr
    assert sum(rows_by_status("digest").values()) == 302, "one digest per member"

    def digests_received() -> int:
        return sum(1 for m in mail.received() if m.subject.startswith("[OneStop]"))

    kills = 0
    for threshold in (80, 180):
        wait_for(lambda t=threshold: digests_received() >= t, timeout=90, interval=0.05,
                 what=f"{threshold} digests received", detail=worker.log)
        worker.kill()
        kills += 1
        assert digests_received() < 302, "the kill must land in the middle of the run"
        worker = procs.worker(deployment, f"w{kills}")

    wait_for(lambda: rows_by_status("digest") == {"sent": 302}, timeout=180, interval=0.3,
             what="all 302 digests sent", detail=lambda: str(rows_by_status("digest")))
    time.sleep(SETTLE)
    digests = [m for m in mail.received() if m.subject.startswith("[OneStop]")]
    per_recipient = Counter(m.recipients[0] for m in digests)
    assert set(per_recipient) == {u.email for u in [*members, world.union_lead,
                                                    world.union_staff]}
    twice = sum(n - 1 for n in Counter(m.message_id for m in digests).values())
    print(f"\ndigest SIGKILL test: {kills} kills, {twice} digests received twice")
    assert twice <= CONCURRENCY * kills
    assert all(all(title in m.text for title in titles) for m in digests), \
        "each digest lists the three routed tasks"
    assert rows_by_status("task_routed") == {Status.DIGESTED: 3 * 302}, "each row in one digest"
