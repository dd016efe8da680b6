"""Webhooks: endpoints kept on their page by a lead (an admin for the desk), messages written
in the change's transaction for what the organization may read, signed as Standard Webhooks
says (checked with its reference library), retried, logged, sent again on request, refused
inside the network, turned off after a day of failures. Real worker processes:
tests/workers/test_webhooks.py."""
import re
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from onestop.cases import services as cases
from onestop.cases.models import NoteAudience
from onestop.errors import Invalid
from onestop.extensions import db
from onestop.notifications.models import AlertKind, EventKind, Notification
from onestop.tasks import services as tasks
from onestop.webhooks import addresses, delivery, services
from onestop.webhooks.models import (
    DeliveryStatus,
    EndpointState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from tests.webhook_receiver import Receiver

E = EventKind


@pytest.fixture
def receiver():
    made = []

    def start(*args, **kwargs) -> Receiver:
        made.append(Receiver(*args, **kwargs))
        return made[-1]

    yield start
    for r in made:
        r.stop()


def _endpoint(world, organization, url, kinds, *, allow_private=True) -> WebhookEndpoint:
    """As a lead registers it and an admin lets it reach loopback (where the receiver is)."""
    endpoint = WebhookEndpoint(organization_id=organization.id if organization else None, url=url,
                               events=[str(k) for k in kinds], allow_private=allow_private,
                               secret=services._new_secret(), created_by_id=world.admin.id)
    db.session.add(endpoint)
    db.session.commit()
    return endpoint


def _routed_case(world, now, firm_user=None, orgs=("union", "univ")):
    case = cases.file_case(firm_user or world.firm_a_user, world.hiring_type, title="Hiring",
                           description="d", priority="normal", form_data={}, checked_items=[],
                           files=[], now=now)
    cases.accept_case(world.desk, case, now=now, version=None)
    cases.route_case(world.desk, case, [getattr(world, o) for o in orgs], now=now, version=None)
    db.session.commit()
    return case


def _deliveries(endpoint) -> list[WebhookDelivery]:
    return list(db.session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == endpoint.id).order_by(WebhookDelivery.id)))


def _deliver_all(endpoint, now) -> list[str]:
    return [delivery.deliver(d.id, now)[0] for d in _deliveries(endpoint)]


def test_a_lead_registers_a_webhook_and_sees_its_secret_once(browser, world):
    b = browser(world.union_lead.email)
    made = b.post("/webhooks/", {"url": "https://93.184.215.14/hooks", "description": "ERP",
                                 "events": [E.TASK_ROUTED, E.COMMENT]})
    assert made.status_code == 200, made.get_data(as_text=True)[:2000]
    secret = re.search(r'id="new-secret">(whsec_[^<]+)<', made.get_data(as_text=True)).group(1)
    endpoint = db.session.scalar(select(WebhookEndpoint))
    assert (endpoint.organization_id, endpoint.secret, endpoint.events) == (
        world.union.id, secret, [E.TASK_ROUTED, E.COMMENT])
    page = b.get(f"/webhooks/{endpoint.id}").get_data(as_text=True)
    assert secret not in page and "93.184.215.14" in page
    assert secret not in b.get("/webhooks/").get_data(as_text=True)


def test_who_may_keep_webhooks(browser, world):
    endpoint = _endpoint(world, world.union, "https://93.184.215.14/a", [E.COMMENT])
    assert browser(world.union_staff.email).get("/webhooks/").status_code == 403
    assert browser(world.firm_a_user.email).get("/webhooks/").status_code == 403
    assert browser(world.desk.email).get("/webhooks/").status_code == 403
    assert browser(world.univ_staff.email).get(f"/webhooks/{endpoint.id}").status_code == 404
    assert browser(world.admin.email).get(f"/webhooks/{endpoint.id}").status_code == 200
    assert browser(world.union_lead.email).get(f"/webhooks/{endpoint.id}").status_code == 200


@pytest.mark.parametrize("url, message", [
    ("ftp://93.184.215.14/x", "http"),
    ("https://user:pw@93.184.215.14/x", "사용자 이름"),
    ("http://127.0.0.1:9/x", "inside the network"),
    ("http://10.1.2.3/x", "inside the network"),
    ("http://[::1]/x", "inside the network"),
    ("http://169.254.169.254/latest/meta-data", "inside the network"),
    ("https://93.184.215.14:0/x", "닿을 수 있는"),
])
def test_bad_or_inside_addresses_are_refused_when_registered(browser, world, url, message):
    b = browser(world.union_lead.email)
    response = b.post("/webhooks/", {"url": url, "events": [E.COMMENT]})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert url in response.get_data(as_text=True)  # what was typed is kept
    assert db.session.scalar(select(WebhookEndpoint)) is None


def test_only_an_admin_lets_a_webhook_reach_inside(browser, world):
    lead = browser(world.union_lead.email)
    refused = lead.post("/webhooks/", {"url": "http://127.0.0.1:9/x", "events": [E.COMMENT],
                                       "allow_private": "y"})
    assert refused.status_code == 422
    admin = browser(world.admin.email)
    assert admin.post("/webhooks/", {"url": "http://127.0.0.1:9/x", "events": [E.COMMENT],
                                     "allow_private": "y"}).status_code == 200
    endpoint = db.session.scalar(select(WebhookEndpoint))
    assert endpoint.allow_private and endpoint.organization_id is None  # the desk's


def test_production_calls_https_only(app, world):
    app.config["WEBHOOK_HTTPS_ONLY"] = True
    try:
        with pytest.raises(Invalid):
            addresses.clean_url("http://93.184.215.14/x")
        assert addresses.clean_url("https://93.184.215.14/x") == "https://93.184.215.14/x"
    finally:
        app.config["WEBHOOK_HTTPS_ONLY"] = False


def test_no_events_and_a_repeated_submit(browser, world):
    b = browser(world.union_lead.email)
    assert b.post("/webhooks/", {"url": "https://93.184.215.14/x"}).status_code == 422
    page = b.get("/webhooks/").get_data(as_text=True)
    once = re.search(r'name="once" type="hidden" value="([^"]+)"', page).group(1)
    for _ in range(2):
        b.post("/webhooks/", {"url": "https://93.184.215.14/x", "events": [E.COMMENT],
                              "once": once})
    assert len(db.session.scalars(select(WebhookEndpoint)).all()) == 1


def test_messages_are_signed_and_carry_what_the_organization_may_read(world, now, receiver):
    hook = receiver()
    union = _endpoint(world, world.union, hook.url, [E.TASK_ROUTED, E.NOTE, E.TASK_DECLINED,
                                                     E.CASE_FILED])
    desk = _endpoint(world, None, hook.url, [E.CASE_FILED, E.TASK_DECLINED])
    case = _routed_case(world, now)
    other = _routed_case(world, now, world.firm_b_user, orgs=("univ",))  # not the union's
    univ_task = next(t for t in case.tasks if t.organization_id == world.univ.id)
    cases.add_comment(world.desk, case, "for partners", now=now, audience=NoteAudience.PARTNERS)
    cases.add_comment(world.desk, case, "desk only", now=now, audience=NoteAudience.DESK)
    tasks.decline_task(world.univ_staff, univ_task, "not ours", now=now, version=None)
    db.session.commit()

    heard = [(d.kind, d.event.case_id) for d in _deliveries(union)]
    # Its own task routed and the partners' note; not the filing (before its task), the desk's
    # own note, the university's decline, or the other firm's case at all.
    assert heard == [(E.TASK_ROUTED, case.id), (E.NOTE, case.id)]
    assert {(d.kind, d.event.case_id) for d in _deliveries(desk)} == {
        (E.CASE_FILED, case.id), (E.CASE_FILED, other.id), (E.TASK_DECLINED, case.id)}

    assert _deliver_all(union, now) == ["delivered", "delivered"]
    routed, note = (r.verified(union.secret) for r in hook.received)
    assert hook.received[0].path == "/hooks?source=onestop"
    assert routed["type"] == E.TASK_ROUTED and routed["data"]["case_id"] == case.id
    assert routed["data"]["links"]["task"].endswith(f"/api/v1/tasks/{routed['data']['task_id']}")
    assert note["type"] == E.NOTE and note["data"]["text"] == "for partners"
    with pytest.raises(Exception, match="signature"):
        hook.received[0].verified(desk.secret)  # another endpoint's secret does not verify it


def test_a_failed_attempt_is_retried_logged_and_the_same_message(world, now, receiver, browser):
    hook = receiver(statuses=[500])
    endpoint = _endpoint(world, world.union, hook.url, [E.TASK_ROUTED])
    _routed_case(world, now, orgs=("union",))
    (message,) = _deliveries(endpoint)
    assert delivery.deliver(message.id, now) == ("failed", 5.0)
    assert delivery.deliver(message.id, now)[0] == "not due"  # not before its retry
    assert delivery.deliver(message.id, now + timedelta(seconds=6))[0] == "delivered"
    first, second = hook.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == message.message_id
    assert first.verified(endpoint.secret) == second.verified(endpoint.secret)
    attempts = db.session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)).all()
    assert [(a.status_code, a.error) for a in attempts] == [(500, "HTTP 500"), (200, "")]
    assert attempts[0].response == "receiver says no" and attempts[0].address == "127.0.0.1"
    page = browser(world.union_lead.email).get(f"/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "HTTP 500" in page and "receiver says no" in page and message.message_id in page


def test_the_redeliver_button_sends_the_message_again(world, now, receiver, browser):
    hook = receiver()
    endpoint = _endpoint(world, world.union, hook.url, [E.TASK_ROUTED])
    _routed_case(world, now, orgs=("union",))
    (message,) = _deliveries(endpoint)
    delivery.deliver(message.id, now)
    b = browser(world.union_lead.email)
    assert b.post(f"/webhooks/deliveries/{message.id}/redeliver").status_code == 303
    db.session.refresh(message)
    assert message.status == DeliveryStatus.QUEUED
    assert delivery.deliver(message.id, now)[0] == "delivered"
    assert [r.headers["webhook-id"] for r in hook.received] == [message.message_id] * 2
    # Another organization's lead cannot reach it.
    from tests.factories import make_user
    make_user("lead@univ.test", "partner_lead", organization=world.univ)
    db.session.commit()
    other = browser("lead@univ.test")
    assert other.post(f"/webhooks/deliveries/{message.id}/redeliver").status_code == 404


def test_an_address_inside_is_refused_at_delivery_after_dns(world, now, receiver):
    hook = receiver()
    # Registered when it pointed outside; "localhost" resolves to loopback now.
    endpoint = _endpoint(world, world.union, hook.url.replace("127.0.0.1", "localhost"),
                         [E.TASK_ROUTED], allow_private=False)
    _routed_case(world, now, orgs=("union",))
    (message,) = _deliveries(endpoint)
    assert delivery.deliver(message.id, now)[0] == "failed"
    (attempt,) = db.session.scalars(select(WebhookAttempt)).all()
    assert attempt.error.startswith("refused:") and "inside the network" in attempt.error
    assert hook.count() == 0


def test_a_day_of_failures_turns_the_endpoint_off_and_emails_its_lead(world, now, receiver):
    hook = receiver(statuses=[503, 503])
    endpoint = _endpoint(world, world.union, hook.url, [E.TASK_ROUTED])
    _routed_case(world, now, orgs=("union",))
    (message,) = _deliveries(endpoint)
    delivery.deliver(message.id, now)
    assert endpoint.state == EndpointState.ACTIVE and endpoint.failing_since is not None
    later = now + timedelta(hours=25)
    assert delivery.deliver(message.id, later) == ("failed", None)
    db.session.refresh(endpoint)
    assert endpoint.state == EndpointState.DISABLED
    alerts = db.session.scalars(select(Notification).where(
        Notification.kind == AlertKind.WEBHOOK_DISABLED)).all()
    assert [a.user_id for a in alerts] == [world.union_lead.id]
    assert alerts[0].params["path"] == f"/webhooks/{endpoint.id}"
    # Its messages wait, kept; turned on again, they are sent.
    assert delivery.deliver(message.id, later + timedelta(days=1))[0] == "not due"
    services.switch(world.union_lead, endpoint, True, later)
    db.session.commit()
    assert delivery.deliver(message.id, later)[0] == "delivered"


def test_deleting_an_endpoint_takes_its_messages(browser, world, now, receiver):
    hook = receiver()
    endpoint = _endpoint(world, world.union, hook.url, [E.TASK_ROUTED])
    _routed_case(world, now, orgs=("union",))
    delivery.deliver(_deliveries(endpoint)[0].id, now)
    assert browser(world.union_lead.email).post(f"/webhooks/{endpoint.id}/delete").status_code == 303
    assert db.session.scalar(select(WebhookDelivery)) is None
    assert db.session.scalar(select(WebhookAttempt)) is None


def test_a_lead_changing_the_url_loses_what_an_admin_allowed(world):
    endpoint = _endpoint(world, world.union, "http://127.0.0.1:9/a", [E.COMMENT])
    services.update_endpoint(world.union_lead, endpoint, url="http://127.0.0.1:9/a",
                             kinds=[E.NOTE], description="", allow_private=False)
    assert endpoint.allow_private and endpoint.events == [E.NOTE]  # same URL: still allowed
    with pytest.raises(Invalid, match="inside the network"):
        services.update_endpoint(world.union_lead, endpoint, url="http://10.0.0.7/b",
                                 kinds=[E.NOTE], description="", allow_private=True)
    db.session.rollback()
    services.update_endpoint(world.admin, endpoint, url="http://10.0.0.7/b", kinds=[E.NOTE],
                             description="", allow_private=True)
    assert endpoint.allow_private and endpoint.url == "http://10.0.0.7/b"


def test_a_message_sent_again_gets_a_fresh_schedule(world, now, receiver):
    hook = receiver(statuses=[500] * 10)
    endpoint = _endpoint(world, world.union, hook.url, [E.TASK_ROUTED])
    _routed_case(world, now, orgs=("union",))
    (message,) = _deliveries(endpoint)
    moment = now
    for _ in range(8):  # the first attempt and the schedule's seven retries
        moment += timedelta(days=1)
        services.switch(world.union_lead, endpoint, True, moment)  # on again after a day off
        db.session.commit()
        delivery.deliver(message.id, moment)
    db.session.refresh(message)
    assert message.status == DeliveryStatus.FAILED and message.attempts == 8
    services.switch(world.union_lead, endpoint, True, moment)
    services.redeliver(world.union_lead, message, moment)
    db.session.commit()
    assert delivery.deliver(message.id, moment) == ("failed", 5.0)  # retried again, not given up


@pytest.mark.parametrize("address", ["100.64.0.1", "100.100.100.200", "2002:a9fe:a9fe::1",
                                      "fec0::1", "::ffff:10.0.0.1", "0.0.0.0", "224.0.0.1"])
def test_no_inside_address_passes_in_any_disguise(ctx, address):
    host = f"[{address}]" if ":" in address else address
    with pytest.raises(addresses.Refused) as refused:
        addresses.resolve(f"https://{host}/x", allow_private=False)
    assert "inside the network" in str(refused.value)


def test_a_refusal_names_no_inside_address(browser, world):
    response = browser(world.union_lead.email).post("/webhooks/", {
        "url": "http://localhost:9/x", "events": [E.COMMENT]})
    assert response.status_code == 422
    assert "127.0.0.1" not in response.get_data(as_text=True)  # the log has it, not the page


def test_an_international_host_is_called_by_its_ascii_name(ctx):
    assert addresses.clean_url("https://예시.한국:8443/훅?q=값") == \
        "https://xn--vv4b11d.xn--3e0b707e:8443/%ED%9B%85?q=%EA%B0%92"


def test_attempts_that_never_ended_are_not_begun_for_ever(world, now, receiver):
    hook = receiver()
    endpoint = _endpoint(world, world.union, hook.url, [E.TASK_ROUTED])
    _routed_case(world, now, orgs=("union",))
    (message,) = _deliveries(endpoint)
    message.attempts = len(current_app.config["WEBHOOK_RETRY_SECONDS"]) + 1  # each one killed
    db.session.commit()
    assert delivery.deliver(message.id, now) == ("failed", None)
    db.session.refresh(message)
    assert message.status == DeliveryStatus.FAILED and hook.count() == 0
    (attempt,) = db.session.scalars(select(WebhookAttempt)).all()
    assert "GaveUp" in attempt.error and "none ended" in attempt.error


def test_a_firm_answer_is_a_comment_for_the_partners_who_did_not_ask(world, now, receiver):
    hook = receiver()
    union = _endpoint(world, world.union, hook.url, [E.COMMENT])
    univ = _endpoint(world, world.univ, hook.url, [E.FIRM_ANSWERED])
    case = _routed_case(world, now)
    univ_task = next(t for t in case.tasks if t.organization_id == world.univ.id)
    tasks.accept_task(world.univ_staff, univ_task, now=now, version=None)
    tasks.request_information(world.univ_staff, univ_task, "which site?", now=now,
                              version=None)
    db.session.commit()
    cases.add_comment(world.firm_a_user, case, "site A-1", now=now)
    db.session.commit()
    assert [d.kind for d in _deliveries(univ)] == [E.FIRM_ANSWERED]
    assert [d.kind for d in _deliveries(union)] == [E.COMMENT]


def test_a_button_with_a_token_too_long_to_keep_changes_nothing(browser, world):
    endpoint = _endpoint(world, world.union, "https://93.184.215.14/a", [E.COMMENT])
    b = browser(world.union_lead.email)
    assert b.post(f"/webhooks/{endpoint.id}/delete", {"once": "x" * 100}).status_code == 303
    assert db.session.get(WebhookEndpoint, endpoint.id) is not None
