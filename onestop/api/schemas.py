"""What the API reads and writes, declared once: pydantic models that validate the requests
and that the OpenAPI document is generated from."""
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from onestop.cases.queries import SEARCH_MAX_CHARS, SORTS
from onestop.cases.services import CASE_ACTIONS
from onestop.db import MAX_ID
from onestop.statuses import CaseStatus

CaseStatusFilter = Literal["open", "", *(status.value for status in CaseStatus)]  # type: ignore[valid-type]
CaseSort = Literal[tuple(SORTS)]  # type: ignore[valid-type]


def an_id(default=..., **extra):
    return Field(default, gt=0, le=MAX_ID, **extra)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PageQuery(Strict):
    cursor: str | None = Field(None, max_length=500,
                               description="The `next_cursor` of the page before.")
    limit: int = Field(25, ge=1, le=100)


class Named(BaseModel):
    id: int
    name: str
    name_en: str = ""


class Localized(BaseModel):
    ko: str
    en: str = ""


class FormField(BaseModel):
    name: str
    ko: str
    en: str = ""
    required: bool = False


class RequestTypeOut(BaseModel):
    id: int
    code: str
    name: str
    name_en: str
    category: str
    period: str = Field(description="The processing period: 10d (working days), 3h, 1m …")
    checklist: list[Localized]
    form_fields: list[FormField]


class RequestTypeList(BaseModel):
    items: list[RequestTypeOut]


class OrganizationOut(Named):
    kind: str


class OrganizationList(BaseModel):
    items: list[OrganizationOut]


class FirmRef(BaseModel):
    id: int
    name: str


class RequestTypeRef(BaseModel):
    id: int
    code: str
    name: str


class CaseOut(BaseModel):
    id: int
    reference: str
    title: str
    status: str
    priority: str
    firm: FirmRef
    request_type: RequestTypeRef
    submitted_at: datetime
    due_at: datetime | None
    version: int = Field(description="The version an update must name in If-Match (the ETag).")


class TaskRef(BaseModel):
    id: int
    organization: Named
    status: str
    due_at: datetime | None


class CaseDetail(CaseOut):
    description: str
    checklist: list[dict]
    accepted_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    tasks: list[TaskRef]


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; "
                                                "null on the last page.")


class CaseListQuery(PageQuery):
    status: CaseStatusFilter = Field(
        "open", description="open (the default), a status, or empty for every status.")
    request_type: int | None = an_id(None)
    category: str | None = Field(None, max_length=20)
    organization: int | None = an_id(None, description="The desk's filter: routed to this "
                                                        "partner.")
    firm: int | None = an_id(None)
    owner: Literal["me", "none"] | Annotated[int, an_id()] | None = Field(
        None, description="The desk's filter: its caseworker, me, or none.")
    overdue: bool = False
    q: str | None = Field(None, max_length=SEARCH_MAX_CHARS,
                          description="Words that must all appear (title, description, the "
                                      "firm, comments you may read), or a reference.")
    sort: CaseSort = "due"


class CasePath(Strict):
    case_id: int = an_id()


REASONED = sorted(action for action, (_service, takes_reason) in CASE_ACTIONS.items()
                  if takes_reason)


class CaseMove(Strict):
    # A move that needs no reason, or a reason with something in it.
    model_config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [
        {"properties": {"action": {"enum": sorted(set(CASE_ACTIONS) - set(REASONED))}}},
        {"properties": {"reason": {"pattern": r"\S"}}, "required": ["reason"]}]})

    action: Literal[tuple(CASE_ACTIONS)]  # type: ignore[valid-type]
    reason: str = Field("", max_length=4000, description="Required to " + ", ".join(REASONED)
                        + ".")

    @model_validator(mode="after")
    def reason_given(self):
        if self.action in REASONED and not self.reason.strip():
            raise ValueError(f"{self.action} needs a reason")
        return self


class IfMatch(BaseModel):
    if_match: str | None = Field(None, alias="If-Match", description="The case's ETag.")
