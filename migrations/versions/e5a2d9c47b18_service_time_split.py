"""service time split: finished tasks and accepted cases get their kept times; indexes for
the service report

Revision ID: e5a2d9c47b18
Revises: e5b7d2a9c431
Create Date: 2026-12-10 10:00:00.000000

"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa

from onestop.db import UTCDateTime
from onestop.deadlines import WorkCalendar


# revision identifiers, used by Alembic.
revision = 'e5a2d9c47b18'
down_revision = 'e5b7d2a9c431'
branch_labels = None
depends_on = None

tasks = sa.table('agency_tasks', sa.column('id', sa.Integer), sa.column('routed_at', UTCDateTime()),
                 sa.column('finished_at', UTCDateTime()), sa.column('paused_at', UTCDateTime()),
                 sa.column('waited_seconds', sa.Integer), sa.column('agency_seconds', sa.Integer),
                 sa.column('paused_seconds', sa.Integer))
cases = sa.table('cases', sa.column('id', sa.Integer), sa.column('submitted_at', UTCDateTime()),
                 sa.column('accepted_at', UTCDateTime()), sa.column('desk_seconds', sa.Integer))
extra_holidays = sa.table('extra_holidays', sa.column('day', sa.Date),
                          sa.column('name', sa.String))


def upgrade():
    with op.batch_alter_table('agency_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_agency_tasks_status_finished_at', ['status', 'finished_at'],
                              unique=False)
        batch_op.create_index('ix_agency_tasks_case_status_org',
                              ['case_id', 'status', 'organization_id'], unique=False)
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_accepted_at'), ['accepted_at'], unique=False)
    backfill(op.get_bind())


def backfill(conn):
    """What onestop.workflow.keep_time_split and cases.services.accept_case keep, for the
    rows finished or accepted before they kept it."""
    calendar = WorkCalendar({day: name for day, name in conn.execute(
        sa.select(extra_holidays.c.day, extra_holidays.c.name))})
    for row in conn.execute(sa.select(tasks).where(tasks.c.finished_at.is_not(None),
                                                   tasks.c.agency_seconds.is_(None))).all():
        agency, waited, paused = calendar.time_split(
            row.routed_at, row.finished_at, timedelta(seconds=row.waited_seconds or 0),
            waiting_since=row.paused_at)
        conn.execute(tasks.update().where(tasks.c.id == row.id).values(
            agency_seconds=int(agency.total_seconds()), paused_at=None,
            waited_seconds=int(waited.total_seconds()),
            paused_seconds=int(paused.total_seconds())))
    for row in conn.execute(sa.select(cases).where(cases.c.accepted_at.is_not(None),
                                                   cases.c.desk_seconds.is_(None))).all():
        desk = calendar.working_time_between(row.submitted_at, row.accepted_at)
        conn.execute(cases.update().where(cases.c.id == row.id).values(
            desk_seconds=int(desk.total_seconds())))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_accepted_at'))
    with op.batch_alter_table('agency_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_agency_tasks_case_status_org')
        batch_op.drop_index('ix_agency_tasks_status_finished_at')
