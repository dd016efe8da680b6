"""Incoming firms."""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onestop.db import utcnow
from onestop.extensions import db

PHASES = (1, 2, 3)


class Firm(db.Model):
    __tablename__ = "firms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    brn: Mapped[str] = mapped_column(String(10), unique=True)
    industry: Mapped[str] = mapped_column(String(120))
    site: Mapped[str] = mapped_column(String(200))
    phase: Mapped[int] = mapped_column(default=1)
    account_officer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", use_alter=True))
    # The firm agreed to be named on the public zone page.
    is_named_publicly: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    account_officer = relationship("User", foreign_keys=[account_officer_id])

    @property
    def brn_display(self) -> str:
        return f"{self.brn[:3]}-{self.brn[3:5]}-{self.brn[5:]}"
