"""Every model, imported in one place so metadata and Alembic see them all."""
from onestop.accounts.models import LoginThrottle, RecoveryCode, SiteSetting, User
from onestop.audit.models import AuditEntry
from onestop.cases.models import Attachment, Case, Comment, Event, SatisfactionAnswer
from onestop.catalog.models import RequestType
from onestop.commitments.models import (
    ActualReport,
    Agreement,
    CommitmentFile,
    FirmEvent,
    ImportRun,
    Incentive,
    Target,
)
from onestop.firms.models import Firm
from onestop.notifications.models import Notification, ReminderRule, WorkerCanary
from onestop.orgs.models import Organization
from onestop.replies.models import CannedReply
from onestop.submissions.models import PendingUpload, Submission
from onestop.tasks.models import AgencyTask
from onestop.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from onestop.workdays.models import ExtraHoliday

__all__ = ["ActualReport", "AgencyTask", "Agreement", "Attachment", "AuditEntry", "CannedReply", "Case",
           "Comment", "CommitmentFile", "Event", "ExtraHoliday", "Firm", "FirmEvent", "ImportRun",
           "Incentive", "LoginThrottle", "Notification", "Organization", "PendingUpload",
           "RecoveryCode", "ReminderRule", "RequestType", "SatisfactionAnswer", "SiteSetting",
           "Submission", "Target", "User", "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint",
           "WorkerCanary"]
