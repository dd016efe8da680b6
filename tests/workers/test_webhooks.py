"""Webhook deliveries through real Celery workers, Redis and PostgreSQL to a receiver on
loopback that checks every message with the Standard Webhooks reference library: a retry
after a 500, a worker killed mid-delivery, and an address inside the network refused."""
from sqlalchemy import select

from onestop.cases import services as cases
from onestop.extensions import db
from onestop.notifications.models import EventKind
from onestop.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from onestop.webhooks.services import _new_secret
from tests.factories import World
from tests.webhook_receiver import Receiver
from tests.workers.harness import BUILT_AT, wait_for


def _endpoint(world, url: str, allow_private: bool = True) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(organization_id=world.union.id, url=url, secret=_new_secret(),
                               events=[EventKind.TASK_ROUTED], allow_private=allow_private,
                               created_by_id=world.admin.id)
    db.session.add(endpoint)
    db.session.commit()
    return endpoint


def _route_one_case(world) -> None:
    """Routed to the union: its TASK_ROUTED message is written and queued at the commit."""
    case = cases.file_case(world.firm_a_user, world.hiring_type, title="Hiring", description="d",
                           priority="normal", form_data={}, checked_items=[], files=[],
                           now=BUILT_AT)
    cases.accept_case(world.desk, case, now=BUILT_AT, version=None)
    cases.route_case(world.desk, case, [world.union], now=BUILT_AT, version=None)
    db.session.commit()


def _delivery(endpoint: WebhookEndpoint) -> WebhookDelivery:
    db.session.expire_all()
    return db.session.scalar(select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id))


def test_a_500_is_retried_and_an_inside_address_refused(shared_redis, deploy, procs):
    hook, inside = Receiver(statuses=[500]), Receiver()
    try:
        deployment = deploy(shared_redis, WEBHOOK_RETRY_SECONDS="1,1,1")
        world = World.build()
        db.session.commit()
        endpoint = _endpoint(world, hook.url)
        # Not allowed inside, and "localhost" resolves to loopback at delivery.
        refused = _endpoint(world, inside.url.replace("127.0.0.1", "localhost"), False)
        _route_one_case(world)
        worker = procs.worker(deployment)

        wait_for(lambda: _delivery(endpoint).status == DeliveryStatus.DELIVERED, timeout=60,
                 what="the message delivered after its retry", detail=worker.log)
        first, second = hook.received
        assert first.verified(endpoint.secret) == second.verified(endpoint.secret)
        assert first.verified(endpoint.secret)["type"] == EventKind.TASK_ROUTED
        assert first.headers["webhook-id"] == second.headers["webhook-id"]
        assert int(second.headers["webhook-timestamp"]) >= int(first.headers["webhook-timestamp"])

        wait_for(lambda: db.session.scalar(select(WebhookAttempt).where(
            WebhookAttempt.delivery_id == _delivery(refused).id)), timeout=60,
            what="the refused attempt logged", detail=worker.log)
        attempt = db.session.scalar(select(WebhookAttempt).where(
            WebhookAttempt.delivery_id == _delivery(refused).id))
        assert "inside the network" in attempt.error and attempt.status_code is None
        assert inside.count() == 0
    finally:
        hook.stop()
        inside.stop()


def test_a_worker_killed_mid_delivery_loses_nothing(shared_redis, deploy, procs):
    hook = Receiver(hold_first=True)  # the first POST is never answered
    try:
        # The lease outlasts an attempt's timeouts; once it lapses the sweep hands the
        # message to another worker.
        deployment = deploy(shared_redis, WEBHOOK_TIMEOUT_SECONDS=10, WEBHOOK_LEASE_SECONDS=40,
                            NOTIFY_REQUEUE_AFTER_SECONDS=1, REMINDER_SWEEP_SECONDS=1)
        world = World.build()
        db.session.commit()
        endpoint = _endpoint(world, hook.url)
        _route_one_case(world)
        worker = procs.worker(deployment, "w0")
        wait_for(lambda: hook.count() == 1, timeout=60, interval=0.05,
                 what="the first POST received", detail=worker.log)
        worker.kill()
        assert _delivery(endpoint).status == DeliveryStatus.QUEUED

        worker = procs.worker(deployment, "w1")
        procs.beat(deployment)
        wait_for(lambda: _delivery(endpoint).status == DeliveryStatus.DELIVERED, timeout=120,
                 what="the message delivered by the second worker", detail=worker.log)
        first, second = hook.received
        assert first.headers["webhook-id"] == second.headers["webhook-id"]
        assert second.verified(endpoint.secret)["data"]["task_id"]
        assert _delivery(endpoint).attempts == 2
    finally:
        hook.stop()
