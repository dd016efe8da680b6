"""supplement deadlines: each request type's supplement period (7 days by default) and, on a
task waiting on the firm, its deadline, the firm's one extra time, the reminder and the lapse.
A question asked before this has no deadline: the firm was never given one.

Revision ID: 2ed5c5981257
Revises: 6c7aee366055
Create Date: 2026-12-05 08:03:24.994387

"""
from alembic import op
import sqlalchemy as sa

import onestop.db


# revision identifiers, used by Alembic.
revision = '2ed5c5981257'
down_revision = '6c7aee366055'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agency_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supplement_due_at', onestop.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('supplement_more_time', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('supplement_reminded', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('supplement_lapsed_at', onestop.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_agency_tasks_supplement_due_at'), ['supplement_due_at'], unique=False)

    with op.batch_alter_table('request_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supplement_period', sa.String(length=20), nullable=False,
                                      server_default='7d'))



def downgrade():
    with op.batch_alter_table('request_types', schema=None) as batch_op:
        batch_op.drop_column('supplement_period')

    with op.batch_alter_table('agency_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_tasks_supplement_due_at'))
        batch_op.drop_column('supplement_lapsed_at')
        batch_op.drop_column('supplement_reminded')
        batch_op.drop_column('supplement_more_time')
        batch_op.drop_column('supplement_due_at')

