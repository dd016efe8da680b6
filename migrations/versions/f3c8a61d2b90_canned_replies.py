"""canned replies: short texts an organization reuses in comments; an index for the desk's
"reopened" section

Revision ID: f3c8a61d2b90
Revises: f3a9c2d71e55
Create Date: 2026-12-05 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3c8a61d2b90'
down_revision = 'f3a9c2d71e55'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'canned_replies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_canned_replies_created_by_id_users')),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'],
                                name=op.f('fk_canned_replies_organization_id_organizations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_replies')),
    )
    op.create_index('ix_canned_replies_organization_title', 'canned_replies',
                    ['organization_id', 'title'], unique=False)
    op.create_index('ix_events_action_case_id', 'events', ['action', 'case_id'], unique=False)


def downgrade():
    op.drop_index('ix_events_action_case_id', table_name='events')
    op.drop_index('ix_canned_replies_organization_title', table_name='canned_replies')
    op.drop_table('canned_replies')
