"""Partner organizations and the city one-stop desk."""
from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from onestop.extensions import db


class OrgKind(StrEnum):
    CITY_DESK = "city_desk"
    CITY_DIVISION = "city_division"
    LABOR_UNION = "labor_union"
    UNIVERSITY = "university"
    EMPLOYMENT_CENTER = "employment_center"
    INSTITUTE = "institute"
    OTHER = "other"


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    name_en: Mapped[str] = mapped_column(String(160), default="")
    kind: Mapped[str] = mapped_column(String(30))
    is_active: Mapped[bool] = mapped_column(default=True)

    @property
    def is_partner(self) -> bool:
        return self.kind != OrgKind.CITY_DESK

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name
