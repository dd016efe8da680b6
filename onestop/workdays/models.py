"""Non-working days an admin adds on top of the public-holiday library."""
from datetime import date

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from onestop.extensions import db


class ExtraHoliday(db.Model):
    __tablename__ = "extra_holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(120))
