"""Reading a reply: the person's own words from the mail programs Korean firms use, the
machine-written mail told apart, the attached files."""
import base64
from email.message import EmailMessage

import pytest

from onestop.notifications import reply_mail

GMAIL_KO = ("네, 사업자등록증 사본을 첨부합니다.\n확인 부탁드립니다\n\n"
            "2026년 12월 4일 (금) 오후 3:00, OneStop <onestop@city.example>님이 작성:\n"
            "> 보완 요청\n> 서류를 보내 주세요\n")
GMAIL_KO_WRAPPED = ("네, 첨부합니다.\n\n2026년 12월 4일 (금) 오후 3:00, OneStop <\n"
                    "reply+abcdefghijklmnopqrstuvwxyz234567abcd@onestop.city.example>님이 작성:\n\n"
                    "> 보완 요청\n")
APPLE_KO = "보냅니다\n\n2026. 12. 4. 오후 3:00, OneStop <onestop@city.example> 작성:\n\n> 보완 요청\n"
OUTLOOK_KO = ("첨부했습니다.\n\n________________________________\n"
              "보낸 사람: OneStop <onestop@city.example>\n"
              "보낸 날짜: 2026년 12월 4일 금요일 오후 3:00\n"
              "받는 사람: 홍길동 <hong@firm.example>\n제목: [C-1] 보완 요청\n\n서류를 보내 주세요\n")
NAVER = ("자료 보냅니다.\n\n-----Original Message-----\nFrom: \"OneStop\"<onestop@city.example>\n"
         "To: \"홍길동\"<hong@naver.com>;\nCc:\nSent: 2026-12-04 (금) 15:00:00 (GMT+09:00)\n"
         "Subject: [C-1] 보완 요청\n\n서류를 보내 주세요\n")
GMAIL_EN = "Here it is.\n\nOn Fri, Dec 4, 2026 at 3:00 PM OneStop <onestop@city.example> wrote:\n> Send\n"


@pytest.mark.parametrize("text,expected", [
    (GMAIL_KO, "네, 사업자등록증 사본을 첨부합니다.\n확인 부탁드립니다"),
    (GMAIL_KO_WRAPPED, "네, 첨부합니다."),
    (APPLE_KO, "보냅니다"),
    (OUTLOOK_KO, "첨부했습니다."),
    (NAVER, "자료 보냅니다."),
    (GMAIL_EN, "Here it is."),
    ("Sent.\n\n-- \nHong Gildong\nAlpha Carbon\n", "Sent."),
    ("자료 첨부합니다.\n감사합니다.\n홍길동 드림\n", "자료 첨부합니다."),
    ("Items:\n- drawings\n- the form\n", "Items:\n- drawings\n- the form"),
    ("ok\n\n> the question\n> quoted below\n", "ok"),
    (GMAIL_KO.split("\n\n", 1)[1], ""),   # nothing written above the quote
    ("> only\n> quoted\n", ""),
])
def test_the_persons_own_words_are_kept(text, expected):
    assert reply_mail.strip_quotes(text) == expected


def test_html_becomes_text_without_the_quoted_message():
    html = ('<html><head><style>p{color:red}</style></head><body><div dir="ltr">네, 보냅니다.<br>'
            "<ul><li>도면</li></ul></div><div class=\"gmail_quote\"><div class=\"gmail_attr\">"
            "2026년 12월 4일 (금) 오후 3:00, OneStop님이 작성:</div><blockquote>보완 요청</blockquote>"
            "</div></body></html>")
    assert reply_mail.html_to_text(html) == "네, 보냅니다.\n\n- 도면"


def test_outlooks_html_reply_loses_its_quoted_header_and_message():
    html = ("<div>첨부했습니다.</div><div id=appendonsend></div><hr><div id=divRplyFwdMsg>"
            "<b>보낸 사람:</b> OneStop &lt;a@b&gt;<br><b>보낸 날짜:</b> 2026년 12월 4일<br>"
            "<b>받는 사람:</b> 홍 &lt;h@f&gt;<br><b>제목:</b> 보완</div><div>서류를 보내 주세요</div>")
    assert reply_mail.strip_quotes(reply_mail.html_to_text(html)) == "첨부했습니다."


def _message(**headers) -> EmailMessage:
    message = EmailMessage()
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("hello")
    return message


def test_text_labelled_euc_kr_is_read_as_cp949():
    # Outlook labels Korean text ks_c_5601-1987; 똠 lies outside EUC-KR, inside cp949.
    body = base64.b64encode("똠방각하 서류입니다".encode("cp949"))
    message = reply_mail.parse(b"From: hong@firm.example\r\nMIME-Version: 1.0\r\n"
                               b"Content-Type: text/plain; charset=ks_c_5601-1987\r\n"
                               b"Content-Transfer-Encoding: base64\r\n\r\n" + body + b"\r\n")
    assert reply_mail.reply_text(message) == "똠방각하 서류입니다"


def test_an_unknown_charset_does_not_break_the_reading():
    message = reply_mail.parse(b"From: a@b\r\nContent-Type: text/plain; charset=x-nonsense\r\n"
                               b"\r\nplain words\r\n")
    assert reply_mail.reply_text(message) == "plain words"


@pytest.mark.parametrize("header,expected", [
    ("Hong <Hong@Firm.Example>", "hong@firm.example"),
    ("hong@firm.example, kim@firm.example", None),
    ("", None),
    ("undisclosed-recipients:;", None),
])
def test_the_sender_is_one_address(header, expected):
    message = _message(From=header) if header else _message()
    assert reply_mail.address_of(message) == expected


def test_a_person_is_not_taken_for_a_machine():
    assert reply_mail.automatic(_message(From="a@b.example", Auto_Submitted="no"),
                                "a@b.example", "onestop@city.example") is None


def test_attached_files_are_taken_and_pasted_images_left_out():
    message = EmailMessage()
    message.set_content("see attached")
    message.add_alternative("<p>see attached <img src=cid:logo></p>", subtype="html")
    html = message.get_payload()[1]
    # As Outlook and Gmail send a pasted image or a signature's logo.
    html.add_related(b"\x89PNG\r\n\x1a\nlogo", maintype="image", subtype="png", cid="<logo>",
                     disposition="inline", filename="image001.png")
    message.add_attachment(b"%PDF-1.4 ...", maintype="application", subtype="pdf",
                           filename="도면 최종.pdf")
    assert reply_mail.attachments(message) == [("도면 최종.pdf", b"%PDF-1.4 ...")]
    assert reply_mail.reply_text(message) == "see attached"
