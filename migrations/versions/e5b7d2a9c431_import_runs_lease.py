"""import runs: attempts, the lease a worker holds while it imports, and what was imported

Revision ID: e5b7d2a9c431
Revises: c69a1c5c6c50
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import onestop.db


# revision identifiers, used by Alembic.
revision = 'e5b7d2a9c431'
down_revision = 'c69a1c5c6c50'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('lease_until', onestop.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('summary', sa.JSON(), nullable=False,
                                      server_default='{}'))
        batch_op.create_index('ix_import_runs_status_lease', ['status', 'lease_until'])


def downgrade():
    with op.batch_alter_table('import_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_import_runs_status_lease')
        batch_op.drop_column('summary')
        batch_op.drop_column('lease_until')
        batch_op.drop_column('attempts')
