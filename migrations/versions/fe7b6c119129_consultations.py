"""consultations: a request type may be a main permit that deems others (its partner tasks are
then consultations with a legal answer period, 20 days by default); a consultation keeps the
working time of the deliberations and hearings it recorded. Existing types deem nothing.

Revision ID: fe7b6c119129
Revises: 2ed5c5981257
Create Date: 2026-12-05 08:21:10.794486

"""
from alembic import op
import sqlalchemy as sa

import onestop.db


# revision identifiers, used by Alembic.
revision = 'fe7b6c119129'
down_revision = '2ed5c5981257'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agency_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_consultation', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('deliberation_seconds', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.create_index('ix_agency_tasks_consultation_due', ['is_consultation', 'status', 'due_at'], unique=False)

    with op.batch_alter_table('request_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deems_permits', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('consultation_period', sa.String(length=20), nullable=False,
                                      server_default='20d'))



def downgrade():
    with op.batch_alter_table('request_types', schema=None) as batch_op:
        batch_op.drop_column('consultation_period')
        batch_op.drop_column('deems_permits')

    with op.batch_alter_table('agency_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_agency_tasks_consultation_due')
        batch_op.drop_column('deliberation_seconds')
        batch_op.drop_column('is_consultation')

