"""SQLite's search: the bigrams of cases and comments in FTS5 tables kept by triggers
(PostgreSQL has its GIN indexes already)

Revision ID: b6e1f0a2c9d4
Revises: ffec5bb0c7a1
Create Date: 2026-12-05 19:30:00.000000

"""
from alembic import op

from onestop.search import SEARCHABLE, sqlite_drop, sqlite_index, sqlite_rebuild

# revision identifiers, used by Alembic.
revision = 'b6e1f0a2c9d4'
down_revision = 'ffec5bb0c7a1'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in SEARCHABLE:
        for statement in sqlite_index(table):
            op.execute(statement)
        op.execute(sqlite_rebuild(table))


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in SEARCHABLE:
        for statement in sqlite_drop(table):
            op.execute(statement)
