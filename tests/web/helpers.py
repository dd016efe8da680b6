"""Small helpers for page tests."""
import io
import re

from sqlalchemy import select

from onestop.cases.models import Case
from onestop.extensions import db
from onestop.tasks.models import AgencyTask


def version_of(html: str, action: str) -> str:
    """The hidden version field of the form posting to an action URL."""
    form = re.search(r'<form[^>]+action="[^"]*/' + re.escape(action) + r'"(.*?)</form>', html, re.S)
    assert form, f"no form for {action}"
    return re.search(r'name="version" type="hidden" value="(\d+)"', form.group(1)).group(1)


def latest_case() -> Case:
    db.session.expire_all()
    return db.session.scalars(select(Case).order_by(Case.id.desc())).first()


def task_for(case: Case, organization) -> AgencyTask:
    db.session.expire_all()
    return db.session.scalar(select(AgencyTask).where(AgencyTask.case_id == case.id,
                                                      AgencyTask.organization_id == organization.id))


def upload(name: str, data: bytes):
    return (io.BytesIO(data), name)
