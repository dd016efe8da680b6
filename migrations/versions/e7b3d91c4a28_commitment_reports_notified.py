"""commitment reports: notifications about a firm's commitments, the default reminders of
reports falling due

Revision ID: e7b3d91c4a28
Revises: e5a2d9c47b18
Create Date: 2026-12-05 00:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7b3d91c4a28'
down_revision = 'e5a2d9c47b18'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('firm_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notifications_firm_id_firms'),
                                    'firms', ['firm_id'], ['id'])
    op.bulk_insert(sa.table('reminder_rules', sa.column('kind'), sa.column('offset_days'),
                            sa.column('audience'), sa.column('is_active')), [
        {'kind': kind, 'offset_days': days, 'audience': audience, 'is_active': True}
        for kind, days, audience in [
            ('report_due', 10, 'firm'), ('report_due', 3, 'firm'),
            ('report_overdue', 0, 'firm'), ('report_overdue', 5, 'account_officer')]])


def downgrade():
    op.execute("DELETE FROM reminder_rules WHERE kind IN ('report_due', 'report_overdue')")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notifications_firm_id_firms'),
                                 type_='foreignkey')
        batch_op.drop_column('firm_id')
