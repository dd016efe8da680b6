"""notifications: attempts that handed the message over and got no answer

Revision ID: 7a3c1e9d5b20
Revises: 887f8ab70792
Create Date: 2026-12-01 15:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a3c1e9d5b20'
down_revision = '887f8ab70792'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unanswered_attempts', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('unanswered_attempts')
