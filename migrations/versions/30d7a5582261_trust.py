"""trust: note audiences, checklist snapshots, submission tokens, kept uploads,
normalized registration numbers

Revision ID: 30d7a5582261
Revises: 2df5f13a9071
Create Date: 2026-12-01 14:57:47.239893

"""
import json
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

import onestop.db

revision = '30d7a5582261'
down_revision = '2df5f13a9071'
branch_labels = None
depends_on = None


def _json(value):
    # SQLite hands JSON back as text, PostgreSQL as Python objects.
    return json.loads(value) if isinstance(value, str) else (value or [])


def _brn(text):
    """The firms service's normalization, as it was when this migration was written."""
    folded = unicodedata.normalize("NFKC", text or "")
    kept = [c for c in folded if not (c.isspace() or c == "." or unicodedata.category(c) == "Pd")]
    return "".join(str(unicodedata.decimal(c)) if unicodedata.category(c) == "Nd" else c
                   for c in kept)


def upgrade():
    op.create_table('pending_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', onestop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_pending_uploads_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_uploads')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_pending_uploads_storage_key'))
    )
    with op.batch_alter_table('pending_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_uploads_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_uploads_user_id'), ['user_id'], unique=False)

    op.create_table('submissions',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('landing', sa.String(length=500), nullable=False),
    sa.Column('created_at', onestop.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_submissions_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', 'token', name=op.f('pk_submissions'))
    )
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submissions_created_at'), ['created_at'], unique=False)

    conn = op.get_bind()

    # Each case keeps the checklist as its type listed it, with the ticks it had.
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checklist', sa.JSON(), nullable=True))
    lists = {row.id: _json(row.checklist)
             for row in conn.execute(sa.text("SELECT id, checklist FROM request_types"))}
    cases = sa.table('cases', sa.column('id'), sa.column('checklist', sa.JSON()))
    for row in conn.execute(sa.text("SELECT id, request_type_id, checked_items FROM cases")):
        ticked = set(_json(row.checked_items))
        snapshot = [{"ko": item.get("ko", ""), "en": item.get("en", ""), "done": i in ticked}
                    for i, item in enumerate(lists.get(row.request_type_id, []))]
        conn.execute(cases.update().where(cases.c.id == row.id).values(checklist=snapshot))
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.alter_column('checklist', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('checked_items')

    # Internal notes used to reach every partner on the case: the nearest audience now.
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audience', sa.String(length=10), nullable=True))
    conn.execute(sa.text("UPDATE comments SET audience = CASE WHEN is_internal "
                         "THEN 'partners' ELSE 'public' END"))
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.alter_column('audience', existing_type=sa.String(length=10), nullable=False)
        batch_op.drop_column('is_internal')

    # A note's history entry points at the note, written by the same person at the same moment.
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comment_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_events_comment_id_comments'), 'comments', ['comment_id'], ['id'])
    conn.execute(sa.text(
        "UPDATE events SET comment_id = (SELECT min(c.id) FROM comments c "
        "WHERE c.case_id = events.case_id AND c.author_id = events.actor_id "
        "AND c.created_at = events.created_at) WHERE action = 'case.comment'"))

    # Registration numbers are stored as their 10 ASCII digits. A number that would become
    # another firm's is left as it is and reported: an admin must merge the two by hand.
    taken = {}
    for row in conn.execute(sa.text("SELECT id, brn FROM firms ORDER BY id")):
        taken.setdefault(row.brn, row.id)
    for row in conn.execute(sa.text("SELECT id, brn FROM firms ORDER BY id")):
        digits = _brn(row.brn)
        if digits == row.brn or not re.fullmatch(r"[0-9]{10}", digits):
            continue
        if taken.get(digits, row.id) != row.id:
            print(f"firm {row.id}: registration number {row.brn!r} is firm "
                  f"{taken[digits]}'s once normalized; left unchanged")
            continue
        conn.execute(sa.text("UPDATE firms SET brn = :brn WHERE id = :id"),
                     {"brn": digits, "id": row.id})
        taken[digits] = row.id


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_events_comment_id_comments'), type_='foreignkey')
        batch_op.drop_column('comment_id')

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_internal', sa.Boolean(), nullable=True))
    op.get_bind().execute(sa.text("UPDATE comments SET is_internal = (audience != 'public')"))
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.alter_column('is_internal', existing_type=sa.Boolean(), nullable=False)
        batch_op.drop_column('audience')

    conn = op.get_bind()
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_items', sa.JSON(), nullable=True))
    cases = sa.table('cases', sa.column('id'), sa.column('checked_items', sa.JSON()))
    for row in conn.execute(sa.text("SELECT id, checklist FROM cases")):
        ticks = [i for i, item in enumerate(_json(row.checklist)) if item.get("done")]
        conn.execute(cases.update().where(cases.c.id == row.id).values(checked_items=ticks))
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.alter_column('checked_items', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('checklist')

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submissions_created_at'))
    op.drop_table('submissions')
    with op.batch_alter_table('pending_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_uploads_user_id'))
        batch_op.drop_index(batch_op.f('ix_pending_uploads_created_at'))
    op.drop_table('pending_uploads')
