"""Text search that finds Korean words of two syllables at a million rows.

Trigram indexes need three characters, and a Korean word is often two (승인, 채용). So each
searchable text keeps its character bigrams in a `search_grams` column: lowercased runs of
letters and digits, each run cut into overlapping pairs (a one-character run stays whole).
PostgreSQL indexes `to_tsvector('simple', search_grams)` with GIN; a search word's bigrams
must all be there, and the exact `ILIKE` test on the few rows left gives the same result a
plain scan would.
"""
import re

from sqlalchemy import ColumnElement, func, literal_column, true

_RUN = re.compile(r"[^\W_]+")
# What the GIN indexes hold (the query below must spell it the same way to use them).
SEARCH_VECTOR = "to_tsvector('simple', search_grams)"


def _runs(text: str) -> list[str]:
    return _RUN.findall(text.lower())


def grams(*texts: str | None) -> str:
    """The bigrams of the texts, each once, space-separated (the column's value)."""
    seen: dict[str, None] = {}
    for text in texts:
        for run in _runs(text or ""):
            if len(run) == 1:
                seen.setdefault(run)
            for i in range(len(run) - 1):
                seen.setdefault(run[i:i + 2])
    return " ".join(seen)


def word_grams(word: str) -> list[str]:
    """The bigrams a text must hold to contain the word (none when the word has no run of two
    characters: such a word can only be scanned for)."""
    found: dict[str, None] = {}
    for run in _runs(word):
        for i in range(len(run) - 1):
            found.setdefault(run[i:i + 2])
    return list(found)


def may_contain(column, word: str, dialect: str) -> ColumnElement[bool]:
    """An indexable condition true of every row whose text contains the word (and of some
    others: the caller tests the text itself as well)."""
    wanted = word_grams(word)
    if not wanted or dialect != "postgresql":
        return true()
    return func.to_tsvector(literal_column("'simple'"), column).op("@@")(
        func.to_tsquery(literal_column("'simple'"), " & ".join(wanted)))
