"""Korean is the default language: every message has a Korean text with the same placeholders."""
import re
from pathlib import Path

from babel.messages.pofile import read_po

CATALOG = Path(__file__).resolve().parents[2] / "onestop/translations/ko/LC_MESSAGES/messages.po"
# A translation may pad differently ("2026-03" against "2026년 3월"); name and type must match.
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?([sdif])")


def test_every_message_is_translated_with_its_placeholders():
    catalog = read_po(CATALOG.open("rb"))
    problems = []
    for message in catalog:
        if not message.id:
            continue
        if not message.string or message.fuzzy:
            problems.append(f"untranslated: {message.id!r}")
        elif sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string)):
            problems.append(f"placeholders differ: {message.id!r}")
    assert not problems, "\n".join(problems)
