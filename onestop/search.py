"""Text search that finds Korean words of two syllables at a million rows.

Trigram indexes need three characters, and a Korean word is often two (승인, 채용). So each
searchable text keeps its character bigrams in a `search_grams` column: lowercased runs of
letters and digits, each run cut into overlapping pairs.
PostgreSQL indexes `to_tsvector('simple', search_grams)` with GIN; SQLite keeps the bigrams
as the tokens of an FTS5 table beside each searchable table, which triggers keep in step. A
search word's bigrams must all be there, and the exact `ILIKE` test on the few rows left
gives the same result a plain scan would.
"""
from itertools import groupby

from sqlalchemy import ColumnElement, func, literal_column, select, true
from sqlalchemy import table as table_named

# What the GIN indexes hold (the query below must spell it the same way to use them).
SEARCH_VECTOR = "to_tsvector('simple', search_grams)"
# The tables whose search_grams SQLite indexes with FTS5.
SEARCHABLE = ("cases", "comments")


def _in_run(char: str) -> bool:
    # Letters of any script and ASCII digits: what PostgreSQL's text parser reads as words
    # too (a digit such as ² it may drop, and a query of nothing would match nothing).
    return char.isalpha() or char in "0123456789"


def word_grams(text: str) -> list[str]:
    """The bigrams of the text's runs of letters and digits, each once: what a text must hold
    to contain it (none when it has no run of two: such a word can only be scanned for)."""
    # Letter by letter, as the database's ILIKE folds case: str.lower() of a whole word turns
    # a final Σ into ς and İ into two characters.
    lowered = "".join(c.lower()[:1] for c in text)
    found: dict[str, None] = {}
    for is_run, chars in groupby(lowered, key=_in_run):
        run = "".join(chars)
        if is_run:
            for i in range(len(run) - 1):
                found.setdefault(run[i:i + 2])
    return list(found)


def grams(*texts: str | None) -> str:
    """The bigrams of the texts, each once, space-separated (the column's value)."""
    return " ".join(dict.fromkeys(g for text in texts for g in word_grams(text or "")))


def may_contain(column, word: str, dialect: str) -> ColumnElement[bool]:
    """An indexable condition true of every row whose text contains the word (and of some
    others: the caller tests the text itself as well)."""
    wanted = word_grams(word)
    if not wanted:
        return true()
    if dialect == "sqlite":
        fts = table_named(fts_table(column.table.name))
        matching = select(literal_column("rowid")).select_from(fts).where(
            literal_column(fts.name).op("MATCH")(" AND ".join(f'"{g}"' for g in wanted)))
        return column.table.c.id.in_(matching)
    if dialect != "postgresql":
        return true()
    return func.to_tsvector(literal_column("'simple'"), column).op("@@")(
        func.to_tsquery(literal_column("'simple'"), " & ".join(wanted)))


def fts_table(table: str) -> str:
    return f"{table}_grams"


def sqlite_index(table: str) -> list[str]:
    """The FTS5 table of the table's bigrams and the triggers that keep it in step with every
    write, however made (the ORM, bulk seeding, a migration's UPDATE). External content: the
    bigrams are stored once, in the table. The `ascii` tokenizer splits only at ASCII
    punctuation and spaces, so each bigram, Korean or not, is exactly one token.
    A migration that rebuilds the table (batch mode) drops its triggers; every run of the
    migrations ends with sqlite_repair, which puts them back."""
    fts = fts_table(table)
    delete = (f"INSERT INTO {fts}({fts}, rowid, search_grams) "
              f"VALUES ('delete', old.id, old.search_grams);")
    insert = f"INSERT INTO {fts}(rowid, search_grams) VALUES (new.id, new.search_grams);"
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5(search_grams, "
        f"content='{table}', content_rowid='id', tokenize='ascii')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_insert AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_delete AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_update AFTER UPDATE OF search_grams ON {table} "
        f"BEGIN {delete} {insert} END",
    ]


def sqlite_rebuild(table: str) -> str:
    """Index every row the table holds now (FTS5's own command)."""
    fts = fts_table(table)
    return f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"


def sqlite_repair(connection) -> None:
    """After the migrations: a searchable table whose FTS5 index exists but whose triggers a
    batch rebuild dropped gets them back, and its index is built again from the rows."""
    present = set(connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')").scalars())
    for table in SEARCHABLE:
        statements = sqlite_index(table)
        triggers = {f"{fts_table(table)}_{when}" for when in ("insert", "delete", "update")}
        if fts_table(table) in present and not triggers <= present:
            for statement in statements:
                connection.exec_driver_sql(statement)
            connection.exec_driver_sql(sqlite_rebuild(table))


def sqlite_drop(table: str) -> list[str]:
    fts = fts_table(table)
    return [*(f"DROP TRIGGER IF EXISTS {fts}_{when}" for when in ("insert", "delete", "update")),
            f"DROP TABLE IF EXISTS {fts}"]


def not_sqlite_index(name, type_, _parents) -> bool:
    """Alembic's include_name: an FTS5 table and its shadow tables are not in the models, so
    schema comparisons leave them out."""
    return type_ != "table" or not any(
        name == fts_table(t) or name.startswith(fts_table(t) + "_") for t in SEARCHABLE)
