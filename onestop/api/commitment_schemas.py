"""What the API says of firms, their agreements, their reports of actuals and the zone's
progress: pydantic models the OpenAPI document is generated from."""
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from onestop.api.schemas import Strict, UserRef, an_id, text_needed
from onestop.commitments.models import Measure, ReportStatus

MeasureName = Literal[tuple(Measure)]  # type: ignore[valid-type]


class FirmOut(BaseModel):
    id: int
    name: str
    brn: str = Field(description="The business registration number, 10 digits.")
    industry: str
    site: str
    phase: int
    is_named_publicly: bool
    account_officer: UserRef | None


class FirmPage(BaseModel):
    items: list[FirmOut]
    next_cursor: str | None


class FirmPath(Strict):
    firm_id: int = an_id()


class TargetOut(BaseModel):
    id: int
    measure: MeasureName = Field(description="investment (KRW) or jobs (people).")
    phase: int
    year: int
    amount: int
    report_due_on: date


class AgreementOut(BaseModel):
    signed_on: date
    clawback_rule: str
    targets: list[TargetOut] = Field(description="By year, then measure.")


class Tally(BaseModel):
    promised: int
    due: int = Field(description="Promised for the years whose report is due by today.")
    verified: int
    pending: int = Field(description="Reported, not yet verified.")
    shortfall: int = Field(description="Due but not verified.")


class ReportOut(BaseModel):
    id: int
    measure: MeasureName
    year: int
    phase: int
    amount: int
    note: str
    status: Literal[tuple(ReportStatus)]  # type: ignore[valid-type]
    return_reason: str
    submitted_by: UserRef
    submitted_at: datetime
    reviewed_at: datetime | None
    version: int = Field(description="The version a review must name in If-Match (the ETag).")


class Commitments(BaseModel):
    agreement: AgreementOut | None
    progress: dict[MeasureName, Tally] | None  # type: ignore[valid-type]
    reports: list[ReportOut] = Field(description="Newest first.")


class ReportPath(Strict):
    report_id: int = an_id()


class ReportMove(Strict):
    model_config, _reason_given = text_needed(["verify"], "reason")

    action: Literal["verify", "return"]
    reason: str = Field("", max_length=4000, validate_default=True,
                        description="Required to return: the firm reads it.")


class ZoneFirm(BaseModel):
    id: int
    name: str
    phase: int
    measures: dict[MeasureName, Tally]  # type: ignore[valid-type]
    incentive_at_risk: int = Field(description="KRW recoverable under the agreement's rule.")


class ZoneReport(BaseModel):
    today: date
    total: dict[MeasureName, Tally]  # type: ignore[valid-type]
    by_phase: dict[int, dict[MeasureName, Tally]]  # type: ignore[valid-type]
    by_year: dict[int, dict[MeasureName, Tally]]  # type: ignore[valid-type]
    incentive_at_risk: int
    firms: list[ZoneFirm] = Field(description="The firms behind first (largest incentive at "
                                              "risk), then by name.")

