"""The bodies of the API's moves that take more than an action and a text: routing, a
transfer, a due date, an extension, a pause, a new owner, an objection and its decision,
the firm's answer to an extension."""
from typing import Annotated, Literal

from flask_openapi3 import FileStorage
from pydantic import Field, model_validator

from onestop.api.schemas import SOMETHING, Strict, WrittenDatetime, an_id
from onestop.cases.objections import DISMISSED, UPHELD
from onestop.tasks.consultations import PAUSE_KINDS


class Routing(Strict):
    organizations: list[Annotated[int, an_id()]] = Field(
        min_length=1, max_length=50, description="The partner organizations that each get a "
                                                 "task, all running at once.")
    instructions: str = Field("", max_length=4000, description="For the partners.")
    due_at: WrittenDatetime | None = Field(None, description="Another due date than the "
                                                             "rule's (with due_reason).")
    due_reason: str = Field("", max_length=500)

    @model_validator(mode="after")
    def _reason_with_a_date(self):
        if self.due_reason.strip() and self.due_at is None:
            raise ValueError("due_reason goes with due_at")
        return self


class Ownership(Strict):
    owner: int = an_id(description="An enabled caseworker (or admin) of the desk.")


OBJECTION_MAX_CHARS = 10000


class NewObjection(Strict):
    reasons: str = Field(min_length=1, max_length=OBJECTION_MAX_CHARS, pattern=SOMETHING,
                         description="Why the rejection should be reconsidered (a public "
                                     "comment).")
    files: list[FileStorage] = Field(default_factory=list, description="Documents with it: "
                                     "PDF, images, HWP, Word, Excel or text; 10 MB each.")


class ObjectionExtension(Strict):
    reason: str = Field(min_length=1, max_length=4000, pattern=SOMETHING,
                        description="Why the decision takes longer: the firm reads it.")


class ObjectionDecision(Strict):
    decision: Literal[UPHELD, DISMISSED] = Field(  # type: ignore[valid-type]
        description="upheld: the request goes back to review; dismissed: the rejection "
                    "stands.")
    reason: str = Field(min_length=1, max_length=4000, pattern=SOMETHING,
                        description="The firm reads it.")


class ExtensionPath(Strict):
    case_id: int = an_id()
    extension_id: int = an_id(description="One of the case's `extension_asks`.")


class ExtensionAnswer(Strict):
    answer: Literal["agree", "refuse"] = Field(
        description="agree: the partner's new due date takes effect; refuse: it stays.")


class CaseTaskPath(Strict):
    case_id: int = an_id()
    task_id: int = an_id(description="One of the case's tasks.")


class Transfer(Strict):
    organization: int = an_id(description="The competent partner organization.")
    reason: str = Field(min_length=1, max_length=4000, pattern=SOMETHING,
                        description="Why that organization is the competent one.")


class DueDate(Strict):
    due_at: WrittenDatetime = Field(description="The new due date.")
    reason: str = Field(min_length=1, max_length=500, pattern=SOMETHING)


class Extension(Strict):
    due_at: WrittenDatetime = Field(description="The new due date: after the current one, "
                                                "by at most the period itself.")
    reason: str = Field(min_length=1, max_length=2000, pattern=SOMETHING,
                        description="The firm reads it.")


class Pause(Strict):
    kind: Literal[tuple(PAUSE_KINDS)]  # type: ignore[valid-type]
    start: WrittenDatetime
    end: WrittenDatetime = Field(description="Once it has ended: not in the future.")
    note: str = Field("", max_length=500, description="The desk and the firm read it.")

