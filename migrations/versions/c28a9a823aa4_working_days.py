"""working days: an admin's change to the holiday calendar may also mark a listed holiday as
a working day (the rows so far all add non-working days)

Revision ID: c28a9a823aa4
Revises: 0341eacf481b
Create Date: 2026-12-05 08:30:59.717421

"""
from alembic import op
import sqlalchemy as sa

import onestop.db


# revision identifiers, used by Alembic.
revision = 'c28a9a823aa4'
down_revision = '0341eacf481b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('extra_holidays', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_working_day', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))



def downgrade():
    with op.batch_alter_table('extra_holidays', schema=None) as batch_op:
        batch_op.drop_column('is_working_day')

