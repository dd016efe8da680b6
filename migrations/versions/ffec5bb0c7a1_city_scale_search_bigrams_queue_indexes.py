"""city scale: the search's bigrams (a GIN index on PostgreSQL), the open queue's partial
indexes for each sort, and the task queues' and sweeps' indexes

Revision ID: ffec5bb0c7a1
Revises: c28a9a823aa4
Create Date: 2026-12-05 11:06:42.754678

"""
from alembic import op
import sqlalchemy as sa

from onestop.search import SEARCH_VECTOR, grams


# revision identifiers, used by Alembic.
revision = 'ffec5bb0c7a1'
down_revision = 'c28a9a823aa4'
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('submitted', 'triaged', 'in_progress', 'waiting_on_firm')")
OPEN_SORTS = (("due", ["due_at", "id"]), ("submitted", ["submitted_at", "id"]),
              ("priority", ["priority_rank", "id"]))
ACTIVE = sa.text("status IN ('open', 'accepted', 'waiting_on_firm')")
LAPSED = sa.text("supplement_lapsed_at IS NOT NULL")
ACTIVE_SORTS = (("ix_agency_tasks_active_org_due", ["organization_id", "due_at", "id"]),
                ("ix_agency_tasks_active_due", ["due_at", "id"]))
TASK_INDEXES = (("ix_agency_tasks_org_case", ["organization_id", "case_id"]),
                ("ix_agency_tasks_status_paused_at", ["status", "paused_at"]))
# In place of the single-column ix_cases_due_at and ix_cases_submitted_at.
ORDERS = (("ix_cases_due_id", ["due_at", "id"], "ix_cases_due_at", ["due_at"]),
          ("ix_cases_submitted_id", ["submitted_at", "id"], "ix_cases_submitted_at",
           ["submitted_at"]))
CASE_INDEXES = (("ix_cases_firm_due_id", ["firm_id", "due_at", "id"]),
                ("ix_cases_status_due_at", ["status", "due_at"]),
                ("ix_cases_status_review_due_at", ["status", "review_due_at"]),
                ("ix_cases_status_submitted_at", ["status", "submitted_at"]))


def _backfill(table: str, *columns: str) -> None:
    """Each row's bigrams, a thousand rows at a time."""
    conn = op.get_bind()
    rows = sa.table(table, sa.column("id"), sa.column("search_grams"),
                    *(sa.column(c) for c in columns))
    last = 0
    while True:
        batch = conn.execute(sa.select(rows.c.id, *(rows.c[c] for c in columns))
                             .where(rows.c.id > last).order_by(rows.c.id).limit(1000)).all()
        if not batch:
            return
        conn.execute(rows.update().where(rows.c.id == sa.bindparam("row_id"))
                     .values(search_grams=sa.bindparam("grams")),
                     [{"row_id": row[0], "grams": grams(*row[1:])} for row in batch])
        last = batch[-1][0]


def upgrade():
    with op.batch_alter_table('agency_tasks', schema=None) as batch_op:
        for name, columns in TASK_INDEXES:
            batch_op.create_index(name, columns, unique=False)
        # The organization along: the desk counts the overdue by partner from the index.
        batch_op.create_index("ix_agency_tasks_status_due_at", ["status", "due_at", "id"],
                              unique=False, postgresql_include=["organization_id"])
        for name, columns in ACTIVE_SORTS:
            batch_op.create_index(name, columns, unique=False, sqlite_where=ACTIVE,
                                  postgresql_where=ACTIVE)
        batch_op.create_index("ix_agency_tasks_lapsed", ["case_id"], unique=False,
                              sqlite_where=LAPSED, postgresql_where=LAPSED)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_grams', sa.Text(), server_default='',
                                      nullable=False))
        for name, columns in CASE_INDEXES:
            batch_op.create_index(name, columns, unique=False)
        for name, columns, old, _old_columns in ORDERS:
            batch_op.drop_index(old)
            batch_op.create_index(name, columns, unique=False)
        for name, columns in OPEN_SORTS:
            batch_op.create_index(f"ix_cases_open_{name}", columns, unique=False,
                                  sqlite_where=OPEN, postgresql_where=OPEN)

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_grams', sa.Text(), server_default='',
                                      nullable=False))

    _backfill("cases", "title", "description")
    _backfill("comments", "body")
    if op.get_bind().dialect.name == "postgresql":
        for table in ("cases", "comments"):
            op.execute(f"CREATE INDEX ix_{table}_search_grams ON {table} "
                       f"USING gin ({SEARCH_VECTOR})")


def _drop_grams(table: str) -> None:
    # SQLite drops a column in place (3.35+): a batch rebuild would copy the generated
    # cases.priority_rank, which SQLite refuses to have inserted into.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} DROP COLUMN search_grams")
    else:
        op.drop_column(table, "search_grams")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_comments_search_grams", table_name="comments")
        op.drop_index("ix_cases_search_grams", table_name="cases")
    _drop_grams("comments")
    for name, _columns in OPEN_SORTS:
        op.drop_index(f"ix_cases_open_{name}", table_name="cases")
    for name, _columns in CASE_INDEXES:
        op.drop_index(name, table_name="cases")
    for name, _columns, old, old_columns in ORDERS:
        op.drop_index(name, table_name="cases")
        op.create_index(old, "cases", old_columns)
    _drop_grams("cases")
    for name, _columns in TASK_INDEXES + ACTIVE_SORTS + (("ix_agency_tasks_lapsed", ()),
                                                         ("ix_agency_tasks_status_due_at", ())):
        op.drop_index(name, table_name="agency_tasks")
