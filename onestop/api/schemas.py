"""What the API reads and writes, declared once: pydantic models that validate the requests
and that the OpenAPI document is generated from."""
import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from onestop.cases.models import PRIORITIES, NoteAudience
from onestop.cases.objections import DISMISSED, UPHELD
from onestop.cases.queries import SEARCH_MAX_CHARS, SORTS
from onestop.cases.services import CASE_ACTIONS
from onestop.db import MAX_ID
from onestop.statuses import CaseStatus, TaskStatus
from onestop.tasks.services import TASK_ACTIONS

CaseStatusFilter = Literal["open", "", *(status.value for status in CaseStatus)]  # type: ignore[valid-type]
CaseSort = Literal[tuple(SORTS)]  # type: ignore[valid-type]


# Text with something in it. Clients' validators read \s as ECMAScript does and this server
# as Unicode does: NEL (U+0085) and the BOM are named so that both agree they are blank.
SOMETHING = r"[^\s\x85\ufeff]"


def an_id(default=..., **extra):
    return Field(default, gt=0, le=MAX_ID, **extra)


_PLAIN_SCHEMAS: dict[type, dict] = {}


class RequestPart(BaseModel):
    """A query or header model. flask-openapi3 asks for its JSON schema on every request, to
    find its list fields (`_validate_query`), which cost a quarter of a list's time; the
    schema asked for with no arguments never changes, so it is made once. The document's
    own calls pass arguments and are left alone."""

    @classmethod
    def model_json_schema(cls, *args, **kwargs) -> dict:
        if args or kwargs:
            return super().model_json_schema(*args, **kwargs)
        if cls not in _PLAIN_SCHEMAS:
            _PLAIN_SCHEMAS[cls] = super().model_json_schema()
        return _PLAIN_SCHEMAS[cls]


class Strict(RequestPart):
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


class UserRef(BaseModel):
    id: int
    name: str


class ObjectionOut(BaseModel):
    comment_id: int = Field(description="The public comment with the firm's reasons and files.")
    filed_at: datetime
    decision_due_at: datetime
    extended: bool = Field(description="The desk extended its decision (once at most).")
    decision: Literal[UPHELD, DISMISSED] | None = Field(  # type: ignore[valid-type]
        description="upheld: back to the desk's review; dismissed: the rejection stands; "
                    "null while the desk decides.")
    decision_reason: str
    decided_at: datetime | None


class ExtensionAsk(BaseModel):
    id: int
    task_id: int
    organization: Named
    reason: str
    previous_due_at: datetime
    due_at: datetime = Field(description="The partner's due date if your firm agrees.")
    asked_at: datetime


class CaseDetail(CaseOut):
    description: str
    checklist: list[dict]
    owner: UserRef | None = Field(description="The desk's caseworker who owns it.")
    accepted_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    tasks: list[TaskRef]
    objection: ObjectionOut | None = Field(
        None, description="The objection to its rejection, as it stands.")
    extension_asks: list[ExtensionAsk] = Field(
        default_factory=list, description="A partner's further extensions waiting for your "
                                          "firm's answer (its members only).")


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; "
                                                "null on the last page.")


class CaseListQuery(PageQuery):
    status: CaseStatusFilter | None = Field(
        None, description="open, a status, or empty for every status; by default as the queue: "
                          "open ones for the desk, every status for the others.")
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


class NewCase(Strict):
    request_type: int = an_id(description="The id of an offered request type.")
    title: str = Field(min_length=1, max_length=200, pattern=SOMETHING)
    description: str = Field(min_length=1, max_length=10000, pattern=SOMETHING)
    priority: Literal[tuple(PRIORITIES)] = "normal"  # type: ignore[valid-type]
    form_data: dict[str, Annotated[str, Field(max_length=500)]] = Field(
        default_factory=dict, description="The request type's own fields, by name.")
    checked_items: list[Annotated[int, Field(ge=0, le=1000)]] = Field(
        default_factory=list, max_length=200,
        description="The checklist's items (0-based) the firm attaches or has done.")


class CasePath(Strict):
    case_id: int = an_id()


def text_needed(free: list[str], field: str) -> tuple[ConfigDict, classmethod]:
    """A move that takes no text, or its text with something in it: the services' rule,
    stated for clients (the model's config) and checked before If-Match (its validator)."""
    config = ConfigDict(extra="forbid", json_schema_extra={"anyOf": [
        {"properties": {"action": {"enum": free}}},
        {"properties": {field: {"pattern": SOMETHING}}, "required": [field]}]})

    def given(cls, value: str, info: ValidationInfo) -> str:
        action = info.data.get("action")
        if action is not None and action not in free and not re.search(SOMETHING, value):
            raise ValueError(f"required to {action}")
        return value
    return config, field_validator(field)(given)


REASONED = sorted(action for action, (_service, takes_reason) in CASE_ACTIONS.items()
                  if takes_reason)


class CaseMove(Strict):
    model_config, _reason_given = text_needed(sorted(set(CASE_ACTIONS) - set(REASONED)),
                                              "reason")

    action: Literal[tuple(CASE_ACTIONS)]  # type: ignore[valid-type]
    reason: str = Field("", max_length=4000, validate_default=True,
                        description="Required to " + ", ".join(REASONED) + ".")


def _written(value):
    if not isinstance(value, str):  # pydantic would read a number as seconds since 1970
        raise ValueError("a date and time with its offset, as RFC 3339 writes them")
    return value


def _within_reason(value: datetime) -> datetime:
    if not 2000 <= value.year <= 2999:  # nor past the calendar's end in another time zone
        raise ValueError("a year from 2000 to 2999")
    return value


WrittenDatetime = Annotated[AwareDatetime, BeforeValidator(_written),
                            AfterValidator(_within_reason)]


class CaseRef(BaseModel):
    id: int
    reference: str
    title: str


class TaskOut(BaseModel):
    id: int
    case: CaseRef
    organization: Named
    status: str
    due_at: datetime
    instructions: str
    resolution_note: str
    version: int = Field(description="The version an update must name in If-Match (the ETag).")
    # The desk's and the task's own organization's only (policy: task.see_internal).
    assignee: UserRef | None = None
    decline_reason: str | None = None
    due_override_reason: str | None = None


class TaskPage(BaseModel):
    items: list[TaskOut]
    next_cursor: str | None


class TaskListQuery(PageQuery):
    status: Literal["", *(status.value for status in TaskStatus)] = Field(  # type: ignore[valid-type]
        "", description="Empty (the default) for the open and waiting ones, or a status.")
    mine: bool = Field(False, description="Only those assigned to you.")
    overdue: bool = False


class TaskPath(Strict):
    task_id: int = an_id()


TEXTLESS = sorted(action for action, (_service, text) in TASK_ACTIONS.items() if text is None)


class TaskMove(Strict):
    model_config, _text_given = text_needed(TEXTLESS, "text")

    action: Literal[tuple(TASK_ACTIONS)]  # type: ignore[valid-type]
    text: str = Field("", max_length=4000, validate_default=True,
                      description="The question (request_info), the note (complete) or the "
                                  "reason (decline).")


class Assignment(Strict):
    assignee: int | None = an_id(None, description="A member of the task's organization, or "
                                                   "null for nobody.")


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int = Field(description="In bytes.")
    sha256: str
    comment_id: int | None = Field(description="The comment it came with; null for one filed "
                                               "with the request.")
    uploaded_by: UserRef
    created_at: datetime


class AttachmentPage(BaseModel):
    items: list[AttachmentOut]
    next_cursor: str | None


class AttachmentPath(Strict):
    case_id: int = an_id()
    attachment_id: int = an_id()


class CommentOut(BaseModel):
    id: int
    author: UserRef
    body: str
    audience: Literal[tuple(NoteAudience)] = Field(  # type: ignore[valid-type]
        description="public: the firm and everyone on the case; partners: the desk and the "
                    "partners working it; desk: the desk only.")
    is_info_request: bool
    created_at: datetime
    attachments: list[AttachmentOut] = []


class CommentPage(BaseModel):
    items: list[CommentOut]
    next_cursor: str | None


COMMENT_MAX_CHARS = 10000
Audience = Literal[tuple(NoteAudience)]  # type: ignore[valid-type]


class NewComment(Strict):
    body: str = Field(min_length=1, max_length=COMMENT_MAX_CHARS, pattern=SOMETHING)
    audience: Audience = "public"


class NotificationOut(BaseModel):
    id: int
    kind: str
    text: str = Field(description="What it says, in your account's language.")
    case_id: int | None
    task_id: int | None
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None


class NotificationQuery(PageQuery):
    unread: bool = Field(False, description="Only the unread ones.")


class NotificationPath(Strict):
    notification_id: int = an_id()


class IfMatch(RequestPart):
    if_match: str | None = Field(None, alias="If-Match", description="The case's ETag.")
