"""What a composed email looks like to the mail server and to a mail program: Korean subjects
and names encoded, addresses intact, an internationalized address sent as SMTPUTF8, no
header broken across lines."""
import re
from email import policy as email_policy
from email.parser import BytesParser
from email.utils import parseaddr
from pathlib import Path

import pytest

from onestop import mail
from onestop.db import utcnow
from onestop.extensions import db
from onestop.notifications import delivery, reminders
from tests.services.test_reminders import at, routed_task, sweep


@pytest.fixture
def row(world):
    reminders.ensure_default_rules()
    db.session.commit()
    routed_task(world)
    return sweep(at(2026, 11, 12, 9, 5))[0]


def test_korean_subject_and_sender_name_arrive_intact_in_seven_bit_headers(row, configure, app):
    configure(MAIL_FROM="원스톱 지원센터 <onestop@city.example>")
    row.user.locale = "ko"
    db.session.commit()
    assert delivery.deliver(row.id, utcnow()) == "sent"  # no SMTP_URL: into the outbox
    raw = (Path(app.config["OUTBOX_DIR"]) / f"notification-{row.id}_onestop.eml").read_bytes()
    headers = raw.split(b"\n\n", 1)[0]
    assert headers.isascii(), "headers outside ASCII need a server that takes them"
    message = BytesParser(policy=email_policy.default).parsebytes(raw)
    assert parseaddr(str(message["From"])) == ("원스톱 지원센터", "onestop@city.example")
    assert str(message["To"]) == row.user.email
    assert str(message["Subject"]) == "[OneStop] 처리기한 3근무일 전: Hire"
    assert "근무일" in message.get_body(("plain",)).get_content()
    assert str(message["References"]) == str(message["In-Reply-To"]) == \
        f"<case-{row.case_id}@onestop>"
    assert str(message["Reply-To"]).startswith("reply+")
    assert str(message["Message-ID"]) == row.message_id
    assert message.get_body(("html",)).get_content().lstrip().startswith("<")


def test_an_internationalized_address_is_sent_as_smtputf8(row, sink):
    server = sink()
    row.user.email = "담당자@예시.한국"
    db.session.commit()
    assert delivery.deliver(row.id, utcnow()) == "sent"
    (received,) = server.received()
    assert received.recipients == ("담당자@예시.한국",)
    assert received.subject and "Hire" in received.text


@pytest.mark.parametrize("name", ["Subject", "To", "X-OneStop-Notification"])
@pytest.mark.parametrize("value", ["a\r\nBcc: someone@else.example", "a\nb", "a\rb", "a\n",
                                   "a\vb", "a\fb", "a\x1cb", "a\x1eb", "a\x85b", "a\u2028b"])
def test_a_line_break_in_a_header_is_refused(name, value):
    """Any line break Python knows (str.splitlines); compat32 would write it as it is and
    end the headers there."""
    headers = {"Subject": "s", "From": "a@b.example", "To": "c@d.example", name: value}
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        mail.compose(headers, "text", "<p>html</p>")


def test_a_long_korean_sender_name_is_folded_into_encoded_words():
    name = "원스톱 투자지원센터 탄소소재 국가산업단지 민원 담당"
    message = mail.compose({"Subject": "s", "From": f"{name} <onestop@city.example>",
                            "To": "c@d.example"}, "text", "<p>html</p>")
    raw = message.as_bytes()
    assert raw.isascii()
    words = re.findall(rb"=\?utf-8\?b\?[^?]*\?=", raw)
    assert len(words) > 1 and max(map(len, words)) <= 76  # as the default policy writes them
    parsed = BytesParser(policy=email_policy.default).parsebytes(raw)
    (sender,) = parsed["From"].addresses
    assert sender.addr_spec == "onestop@city.example"
    # Python's parser puts a space where one encoded word ends and the next begins.
    assert sender.display_name.replace(" ", "") == name.replace(" ", "")
