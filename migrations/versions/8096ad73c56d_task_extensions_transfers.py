"""law's clock: a task's period extensions (the firm's consent to a second), the working time
they added, and the task a transferred one came from

Revision ID: 8096ad73c56d
Revises: f3c8a61d2b90
Create Date: 2026-12-05 07:49:05.360333

"""
from alembic import op
import sqlalchemy as sa

import onestop.db


# revision identifiers, used by Alembic.
revision = '8096ad73c56d'
down_revision = 'f3c8a61d2b90'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('task_extensions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('previous_due_at', onestop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', onestop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=False),
    sa.Column('asked_at', onestop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('consent', sa.String(length=20), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', onestop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_task_extensions_answered_by_id_users')),
    sa.ForeignKeyConstraint(['asked_by_id'], ['users.id'], name=op.f('fk_task_extensions_asked_by_id_users')),
    sa.ForeignKeyConstraint(['task_id'], ['agency_tasks.id'], name=op.f('fk_task_extensions_task_id_agency_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_extensions')),
    sa.UniqueConstraint('task_id', 'number', name=op.f('uq_task_extensions_task_id'))
    )
    with op.batch_alter_table('task_extensions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_extensions_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('agency_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extended_seconds', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('transferred_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_agency_tasks_transferred_from_id_agency_tasks'), 'agency_tasks', ['transferred_from_id'], ['id'])



def downgrade():
    with op.batch_alter_table('agency_tasks', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_agency_tasks_transferred_from_id_agency_tasks'), type_='foreignkey')
        batch_op.drop_column('transferred_from_id')
        batch_op.drop_column('extended_seconds')

    with op.batch_alter_table('task_extensions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_extensions_task_id'))

    op.drop_table('task_extensions')
