"""Every model, imported in one place so metadata and Alembic see them all."""
from onestop.accounts.models import LoginThrottle, RecoveryCode, SiteSetting, User
from onestop.audit.models import AuditEntry
from onestop.cases.models import Attachment, Case, Comment, Event
from onestop.catalog.models import RequestType
from onestop.firms.models import Firm
from onestop.notifications.models import Notification, ReminderRule, WorkerCanary
from onestop.orgs.models import Organization
from onestop.submissions.models import PendingUpload, Submission
from onestop.tasks.models import AgencyTask
from onestop.workdays.models import ExtraHoliday

__all__ = ["AgencyTask", "Attachment", "AuditEntry", "Case", "Comment", "Event", "ExtraHoliday",
           "Firm", "LoginThrottle", "Notification", "Organization", "PendingUpload",
           "RecoveryCode", "ReminderRule", "RequestType", "SiteSetting", "Submission", "User",
           "WorkerCanary"]
