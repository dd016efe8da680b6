"""Every model, imported in one place so metadata and Alembic see them all."""
from onestop.accounts.models import LoginFailure, User
from onestop.cases.models import Attachment, Case, Comment, Event
from onestop.catalog.models import RequestType
from onestop.firms.models import Firm
from onestop.notifications.models import Notification, ReminderRule, WorkerCanary
from onestop.orgs.models import Organization
from onestop.submissions.models import PendingUpload, Submission
from onestop.tasks.models import AgencyTask
from onestop.workdays.models import ExtraHoliday

__all__ = ["AgencyTask", "Attachment", "Case", "Comment", "Event", "ExtraHoliday", "Firm",
           "LoginFailure", "Notification", "Organization", "PendingUpload", "ReminderRule",
           "RequestType", "Submission", "User", "WorkerCanary"]
