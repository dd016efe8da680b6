"""progress notices: each request type's period after acceptance (30 days by default), and
when the sweep sends it on each open, accepted request (backfilled)

Revision ID: 6c7aee366055
Revises: 8096ad73c56d
Create Date: 2026-12-05 07:59:44.255250

"""
from datetime import UTC, date

from alembic import op
import sqlalchemy as sa

from onestop.deadlines import WorkCalendar, parse_period

import onestop.db


# revision identifiers, used by Alembic.
revision = '6c7aee366055'
down_revision = '8096ad73c56d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress_notice_at', onestop.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_cases_progress_notice_at'), ['progress_notice_at'], unique=False)

    with op.batch_alter_table('request_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress_notice_period', sa.String(length=20), nullable=False,
                                      server_default='30d'))
    _backfill()



def _backfill():
    """Open, accepted requests get the notice they would have been accepted with; one whose
    moment has passed gets it at the next sweep."""
    conn = op.get_bind()
    calendar = WorkCalendar({(d if not isinstance(d, str) else date.fromisoformat(d)): n
                             for d, n in conn.execute(sa.text(
                                 "SELECT day, name FROM extra_holidays")).all()})
    period = parse_period("30d")
    cases = sa.table('cases', sa.column('id', sa.Integer), sa.column('status', sa.String),
                     sa.column('accepted_at', onestop.db.UTCDateTime(timezone=True)),
                     sa.column('progress_notice_at', onestop.db.UTCDateTime(timezone=True)))
    for case_id, accepted_at in conn.execute(sa.select(cases.c.id, cases.c.accepted_at).where(
            cases.c.status.in_(('triaged', 'in_progress', 'waiting_on_firm')),
            cases.c.accepted_at.is_not(None))):
        conn.execute(cases.update().where(cases.c.id == case_id).values(
            progress_notice_at=calendar.due_at(accepted_at, period).astimezone(UTC)))


def downgrade():
    with op.batch_alter_table('request_types', schema=None) as batch_op:
        batch_op.drop_column('progress_notice_period')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_progress_notice_at'))
        batch_op.drop_column('progress_notice_at')

