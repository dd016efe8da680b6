"""case queue: the desk's intake deadline on each case (backfilled for submitted cases),
indexes for the queue's sorts and filters, saved views

Revision ID: f3a9c2d71e55
Revises: e7b3d91c4a28
Create Date: 2026-12-05 03:50:00.000000

"""
from datetime import UTC

from alembic import op
import sqlalchemy as sa
from flask import current_app

import onestop.db
from onestop.deadlines import WorkCalendar, parse_period


# revision identifiers, used by Alembic.
revision = 'f3a9c2d71e55'
down_revision = 'e7b3d91c4a28'
branch_labels = None
depends_on = None

PRIORITY_RANK = "CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END"


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_due_at', onestop.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('priority_rank', sa.Integer(),
                                      sa.Computed(PRIORITY_RANK, persisted=True), nullable=False))
        batch_op.create_index(batch_op.f('ix_cases_review_due_at'), ['review_due_at'])
        batch_op.create_index(batch_op.f('ix_cases_submitted_at'), ['submitted_at'])
        batch_op.create_index(batch_op.f('ix_cases_owner_id'), ['owner_id'])
    op.create_index('ix_cases_priority_rank', 'cases', ['priority_rank', 'id'])
    op.create_table(
        'saved_views',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('query', sa.String(length=1000), nullable=False),
        sa.Column('created_at', onestop.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_saved_views_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_views')),
        sa.UniqueConstraint('user_id', 'name', name=op.f('uq_saved_views_user_id')),
    )
    with op.batch_alter_table('saved_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_views_user_id'), ['user_id'])
    _backfill_review_due()


def _backfill_review_due():
    """Requests still waiting for review get the deadline they would have been filed with."""
    conn = op.get_bind()
    extra = dict(conn.execute(sa.text("SELECT day, name FROM extra_holidays")).all())
    calendar = WorkCalendar({(d if not isinstance(d, str) else _date(d)): n
                             for d, n in extra.items()})
    period = parse_period(f"{current_app.config.get('INTAKE_WORKING_DAYS', 1)}d")
    cases = sa.table('cases', sa.column('id', sa.Integer),
                     sa.column('submitted_at', onestop.db.UTCDateTime(timezone=True)),
                     sa.column('review_due_at', onestop.db.UTCDateTime(timezone=True)),
                     sa.column('status', sa.String))
    for case_id, submitted_at in conn.execute(
            sa.select(cases.c.id, cases.c.submitted_at).where(cases.c.status == 'submitted')):
        conn.execute(cases.update().where(cases.c.id == case_id).values(
            review_due_at=calendar.due_at(submitted_at, period).astimezone(UTC)))


def _date(text):
    from datetime import date
    return date.fromisoformat(text)


def downgrade():
    with op.batch_alter_table('saved_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_views_user_id'))
    op.drop_table('saved_views')
    op.drop_index('ix_cases_priority_rank', table_name='cases')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_owner_id'))
        batch_op.drop_index(batch_op.f('ix_cases_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_cases_review_due_at'))
        batch_op.drop_column('priority_rank')
        batch_op.drop_column('review_due_at')
