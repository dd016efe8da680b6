"""Text search that finds Korean words of two syllables at a million rows.

Trigram indexes need three characters, and a Korean word is often two (승인, 채용). So each
searchable text keeps its character bigrams in a `search_grams` column: lowercased runs of
letters and digits, each run cut into overlapping pairs.
PostgreSQL indexes `to_tsvector('simple', search_grams)` with GIN; a search word's bigrams
must all be there, and the exact `ILIKE` test on the few rows left gives the same result a
plain scan would.
"""
from itertools import groupby

from sqlalchemy import ColumnElement, func, literal_column, true

# What the GIN indexes hold (the query below must spell it the same way to use them).
SEARCH_VECTOR = "to_tsvector('simple', search_grams)"


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
    if not wanted or dialect != "postgresql":
        return true()
    return func.to_tsvector(literal_column("'simple'"), column).op("@@")(
        func.to_tsquery(literal_column("'simple'"), " & ".join(wanted)))
