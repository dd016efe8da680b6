"""objections: a firm's objection to a rejection (one per rejection) and the desk's decision; each request
type's objection days (90) and decision period (10 days); a rejected request's closed_at is
its rejection's moment (backfilled from the history)

Revision ID: 0341eacf481b
Revises: fe7b6c119129
Create Date: 2026-12-05 08:25:41.199163

"""
from alembic import op
import sqlalchemy as sa

import onestop.db


# revision identifiers, used by Alembic.
revision = '0341eacf481b'
down_revision = 'fe7b6c119129'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('objections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('comment_id', sa.Integer(), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=False),
    sa.Column('filed_at', onestop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decision_due_at', onestop.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('extended', sa.Boolean(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('decision_reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', onestop.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_objections_case_id_cases')),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], name=op.f('fk_objections_comment_id_comments')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_objections_decided_by_id_users')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_objections_filed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objections')),
    )
    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_objections_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_objections_decision'), ['decision'], unique=False)
        batch_op.create_index(batch_op.f('ix_objections_decision_due_at'), ['decision_due_at'], unique=False)

    with op.batch_alter_table('request_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('objection_days', sa.Integer(), nullable=False,
                                      server_default='90'))
        batch_op.add_column(sa.Column('objection_period', sa.String(length=20), nullable=False,
                                      server_default='10d'))
    # The objection period runs from the rejection: old rejected requests get its moment.
    op.execute("UPDATE cases SET closed_at = (SELECT MAX(events.created_at) FROM events "
               "WHERE events.case_id = cases.id AND events.action = 'case.reject') "
               "WHERE status = 'rejected' AND closed_at IS NULL")



def downgrade():
    with op.batch_alter_table('request_types', schema=None) as batch_op:
        batch_op.drop_column('objection_period')
        batch_op.drop_column('objection_days')

    with op.batch_alter_table('objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objections_case_id'))
        batch_op.drop_index(batch_op.f('ix_objections_decision_due_at'))
        batch_op.drop_index(batch_op.f('ix_objections_decision'))

    op.drop_table('objections')
