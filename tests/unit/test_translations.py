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
        # A plural entry: its msgid_plural's placeholders in each of the language's forms.
        wanted = message.id[-1] if message.pluralizable else message.id
        forms = message.string if message.pluralizable else (message.string,)
        if not all(forms) or message.fuzzy:
            problems.append(f"untranslated: {message.id!r}")
        elif any(sorted(PLACEHOLDER.findall(wanted)) != sorted(PLACEHOLDER.findall(form))
                 for form in forms):
            problems.append(f"placeholders differ: {message.id!r}")
    assert not problems, "\n".join(problems)
