"""The states of cases and tasks, and the groups the rules and queries speak of."""
from enum import StrEnum


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"
    TRIAGED = "triaged"
    IN_PROGRESS = "in_progress"
    WAITING_ON_FIRM = "waiting_on_firm"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    RETURNED = "returned"  # 반려: the supplement asked for never came (민원처리법 §22)
    WITHDRAWN = "withdrawn"


class TaskStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    WAITING_ON_FIRM = "waiting_on_firm"
    DONE = "done"
    DECLINED = "declined"
    TRANSFERRED = "transferred"  # handed on to the competent organization (민원처리법 §16)
    DEEMED_CONSENTED = "deemed_consented"  # a consultation unanswered in time (행정기본법 §24)
    CANCELLED = "cancelled"


C, T = CaseStatus, TaskStatus
OPEN_CASE = (C.SUBMITTED, C.TRIAGED, C.IN_PROGRESS, C.WAITING_ON_FIRM)
ACTIVE_TASK = (T.OPEN, T.ACCEPTED, T.WAITING_ON_FIRM)
RUNNING_TASK = (T.OPEN, T.ACCEPTED)  # active with the clock running
FINISHED_TASK = (T.DONE, T.DECLINED, T.TRANSFERRED, T.DEEMED_CONSENTED, T.CANCELLED)
CONSENTED_TASK = (T.DONE, T.DEEMED_CONSENTED)  # work the request can rest on
ROUTABLE_CASE = (C.TRIAGED, C.IN_PROGRESS, C.WAITING_ON_FIRM)  # accepted and still open
FINISHED_CASE = (C.CLOSED, C.REJECTED, C.RETURNED, C.WITHDRAWN)  # no more comments
