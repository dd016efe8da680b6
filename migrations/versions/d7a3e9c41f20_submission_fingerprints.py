"""what an API call sent with its Idempotency-Key (a SHA-256), so that the key reused for
another body is refused

Revision ID: d7a3e9c41f20
Revises: c5c571e8812b
Create Date: 2026-12-06 07:05:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'd7a3e9c41f20'
down_revision = 'c5c571e8812b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=64), nullable=False,
                                      server_default=''))


def downgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_column('fingerprint')
