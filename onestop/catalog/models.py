"""Request types: what a firm can ask for, who does it, and how long it may take."""
from enum import StrEnum

from sqlalchemy import JSON, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onestop.extensions import db


class Category(StrEnum):
    PERMIT = "permit"
    LABOR = "labor"
    HIRING = "hiring"
    OTHER = "other"


request_type_partners = Table(
    "request_type_partners",
    db.metadata,
    Column("request_type_id", ForeignKey("request_types.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
)


class RequestType(db.Model):
    __tablename__ = "request_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    name_en: Mapped[str] = mapped_column(String(160), default="")
    category: Mapped[str] = mapped_column(String(20))
    # Processing period in the notation of onestop.deadlines.parse_period ('10d', '3h', '1m', ...).
    period: Mapped[str] = mapped_column(String(20))
    # Required documents: [{"ko": "...", "en": "..."}, ...]
    checklist: Mapped[list] = mapped_column(JSON, default=list)
    # Extra form fields: [{"name": "...", "ko": "...", "en": "...", "required": bool}, ...]
    form_fields: Mapped[list] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    # The law's clock (민원처리법 §27): the firm gets a progress notice this long after the
    # desk accepted an unfinished request ('' for never); counted like any period.
    progress_notice_period: Mapped[str] = mapped_column(String(20), default="30d")
    # 민원처리법 §22: the deadline an information request gives the firm unless its partner
    # sets another; the firm's one request for more time and the reminder add it again.
    supplement_period: Mapped[str] = mapped_column(String(20), default="7d")
    # 행정기본법 §24 (인허가의제): a main permit that deems others. Its partner tasks are then
    # consultations with this legal answer period; unanswered at its end, consent is deemed.
    deems_permits: Mapped[bool] = mapped_column(default=False)
    consultation_period: Mapped[str] = mapped_column(String(20), default="20d")
    # 민원처리법 §35: a rejected firm may object within this many calendar days; the desk
    # decides within the objection period (extensible once by as much, with notice).
    objection_days: Mapped[int] = mapped_column(default=90)
    objection_period: Mapped[str] = mapped_column(String(20), default="10d")

    default_partners = relationship(
        "Organization", secondary=request_type_partners, order_by="Organization.name"
    )

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name
