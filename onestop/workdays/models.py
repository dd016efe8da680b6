"""The admin's changes to the public-holiday library: days that do not count (a temporary
holiday declared late) and listed holidays that do (where the library and the official
calendar differ)."""
from datetime import date

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from onestop.extensions import db


class ExtraHoliday(db.Model):
    __tablename__ = "extra_holidays"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(120))  # the holiday's name, or the reason
    is_working_day: Mapped[bool] = mapped_column(default=False)
