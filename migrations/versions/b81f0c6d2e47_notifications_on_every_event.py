"""notifications on every event: event rows, digests, per-kind choices, quiet hours

Revision ID: b81f0c6d2e47
Revises: 7a3c1e9d5b20
Create Date: 2026-12-04 21:00:00.000000

"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b81f0c6d2e47'
down_revision = '7a3c1e9d5b20'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('digest_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notifications_event_id_events'),
                                    'events', ['event_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_notifications_digest_id_notifications'),
                                    'notifications', ['digest_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_notifications_digest_id'), ['digest_id'],
                              unique=False)
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=False,
                                      server_default='{}'))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notification_choices', sa.JSON(), nullable=False,
                                      server_default='{}'))
        batch_op.add_column(sa.Column('has_quiet_hours', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # A kind someone had turned off by email is now heard of in the app only.
    users = sa.table('users', sa.column('id', sa.Integer()),
                     sa.column('email_muted_kinds', sa.JSON()),
                     sa.column('notification_choices', sa.JSON()))
    connection = op.get_bind()
    for user_id, muted in connection.execute(sa.select(users.c.id, users.c.email_muted_kinds)):
        muted = json.loads(muted) if isinstance(muted, str) else muted
        if muted:
            connection.execute(users.update().where(users.c.id == user_id).values(
                notification_choices={kind: 'app' for kind in muted}))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_muted_kinds')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_muted_kinds', sa.JSON(), nullable=False,
                                      server_default='[]'))
        batch_op.drop_column('has_quiet_hours')
        batch_op.drop_column('notification_choices')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('params')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_digest_id'))
        batch_op.drop_constraint(batch_op.f('fk_notifications_digest_id_notifications'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_notifications_event_id_events'),
                                 type_='foreignkey')
        batch_op.drop_column('digest_id')
        batch_op.drop_column('event_id')
