"""Webhook endpoints, the ledger of messages to them, and every attempt to deliver one."""
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onestop.db import utcnow
from onestop.extensions import db


class EndpointState(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"      # turned off by its keepers: messages wait, none is sent
    DISABLED = "disabled"  # turned off after a day of failures (its keepers were emailed)


class DeliveryStatus(StrEnum):
    QUEUED = "queued"          # waiting for an attempt (or for its endpoint to be on again)
    DELIVERED = "delivered"    # the endpoint answered 2xx
    FAILED = "failed"          # every attempt of the schedule failed


class WebhookEndpoint(db.Model):
    """A URL an organization's system listens on, and the kinds of event it is sent. The
    desk's endpoints (kept by admins) have no organization and hear what the desk hears."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"),
                                                        index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    # Standard Webhooks' "whsec_" + base64: kept as is, since every message is signed with it.
    secret: Mapped[str] = mapped_column(String(100))
    events: Mapped[list] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(10), default=EndpointState.ACTIVE)
    # Set by an admin: the URL may resolve to a loopback, link-local or private address.
    allow_private: Mapped[bool] = mapped_column(default=False)
    # The first failure since the last success: a day of them disables the endpoint.
    failing_since: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    disabled_at: Mapped[datetime | None]

    organization = relationship("Organization")
    created_by = relationship("User")


class WebhookDelivery(db.Model):
    """One message to one endpoint about one event: written once under its unique key in
    the transaction of the change, its body fixed then, sent until it is answered 2xx."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id",
                                                        ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    kind: Mapped[str] = mapped_column(String(30))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    enqueued_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    endpoint = relationship("WebhookEndpoint")
    event = relationship("Event")

    __table_args__ = (
        # The endpoint's page lists its newest messages; the sweep looks for queued ones.
        Index("ix_webhook_deliveries_endpoint_id", "endpoint_id", "id"),
        Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
    )

    @property
    def message_id(self) -> str:
        """The webhook-id header: the same for every attempt, so a receiver drops repeats."""
        return f"msg_{self.key}"


class WebhookAttempt(db.Model):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id",
                                                        ondelete="CASCADE"))
    started_at: Mapped[datetime]
    milliseconds: Mapped[int] = mapped_column(default=0)
    status_code: Mapped[int | None]
    error: Mapped[str] = mapped_column(Text, default="")
    response: Mapped[str] = mapped_column(Text, default="")  # the answer's first bytes
    address: Mapped[str] = mapped_column(String(64), default="")  # the IP it went to

    __table_args__ = (Index("ix_webhook_attempts_delivery_id", "delivery_id", "id"),)
