"""Reading an emailed reply: who sent it, whether a machine wrote it, the words the person
wrote above the quoted message, and the files attached. Pure: no database."""
import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from bs4 import BeautifulSoup
from mailparser_reply import EmailMessage as ReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES, QUOTED_MATCH_INCLUDE

# Quote headers the library does not know yet. Its table of languages is also where it keeps
# patterns of particular mail programs (its "david" entry), so ours go there under a name of
# their own: Gmail in Korean ("2026년 12월 4일 (금) 오후 3:00, OneStop <…>님이 작성:", the
# address sometimes wrapped onto the next line), Apple Mail in Korean ("2026. 12. 4. 오후
# 3:00, OneStop <…> 작성:"). Outlook's "보낸 사람:" block and Naver's "-----Original
# Message-----" are the library's own.
KOREAN_CLIENTS = "onestop-ko"
MAIL_LANGUAGES.setdefault(KOREAN_CLIENTS, {
    "wrote_header": "|".join(
        rf"(^{QUOTED_MATCH_INCLUDE}{date}[^\n]{{0,300}}(?:\n[^\n]{{0,300}}){{0,2}}?{wrote}$)"
        for date, wrote in (
            (r"\d{4}년 ?\d{1,2}월 ?\d{1,2}일", r"님이 ?(?:다음을 )?작성(?:하였습니다|했습니다)? ?:"),
            (r"\d{4}\. ?\d{1,2}\. ?\d{1,2}\.", r" 작성 ?:"),
        )),
})
LANGUAGES = ("ko", "en", KOREAN_CLIENTS)

_PARSER = BytesParser(policy=policy.default)
# Korean mail programs label cp949 text with these names; cp949 is their superset (Python
# reads them as the narrower EUC-KR and garbles the syllables outside it).
_CP949_LABELS = {"ks_c_5601-1987", "ks_c_5601", "euc-kr", "euc_kr", "ksc5601"}
_AUTO_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "List-Id")
_BLOCKS = ("p", "div", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr")


def parse(raw: bytes) -> EmailMessage:
    return _PARSER.parsebytes(raw)


def address_of(message: EmailMessage, header: str = "From") -> str | None:
    """The one address in the header, lowercased; None when there is none or several."""
    try:
        addresses = message[header].addresses if message[header] else ()
    except (AttributeError, IndexError, ValueError):
        return None
    if len(addresses) != 1 or not addresses[0].addr_spec:
        return None
    return addresses[0].addr_spec.strip().lower()


def automatic(message: EmailMessage, envelope_from: str, own_address: str) -> str | None:
    """Why a machine wrote this message (it must be neither posted nor answered, or mail
    would loop), or None when a person did."""
    if not envelope_from:
        return "null envelope sender (a delivery report)"
    submitted = str(message.get("Auto-Submitted", "")).split(";")[0].strip().lower()
    if submitted and submitted != "no":
        return f"Auto-Submitted: {submitted}"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in ("bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    for header in _AUTO_HEADERS:
        if message.get(header) is not None:
            return f"{header} header"
    if message.get("X-OneStop-Notification") is not None:
        return "one of our own notifications came back"
    if message.get_content_type() == "multipart/report":
        return "a delivery or read report"
    if own_address and own_address in (address_of(message), envelope_from.strip().lower()):
        return "sent from our own address"
    return None


def _decoded(part: EmailMessage) -> str:
    charset = (part.get_content_charset() or "").lower()
    if charset in _CP949_LABELS:
        return (part.get_payload(decode=True) or b"").decode("cp949", errors="replace")
    try:
        return part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset
        return (part.get_payload(decode=True) or b"").decode("utf-8", errors="replace")


def html_to_text(html: str) -> str:
    """The visible text of an HTML body, one line per block, quoted blocks left out."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["head", "script", "style", "title", "blockquote"]):
        tag.decompose()
    for tag in soup.select(".gmail_quote"):  # Gmail's quoted message, its header included
        tag.decompose()
    for tag in soup.find_all("br"):
        tag.replace_with("\n")
    for tag in soup.find_all("li"):
        tag.insert(0, "- ")
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    text = soup.get_text().replace("\xa0", " ")
    return re.sub(r"\n\s*\n\s*\n+", "\n\n", text).strip()


def strip_quotes(text: str) -> str:
    """The reply's own words: without the quoted message, its header and the signature."""
    replies = ReplyParser(text=text, languages=list(LANGUAGES), keep_hyphen_lists=True).read().replies
    # The first fragment is the person's own text unless it already follows a quote header
    # (nothing was written above the quoted message).
    if not replies or replies[0].headers:
        return ""
    lines = replies[0].body.splitlines()
    while lines and (not lines[-1].strip() or lines[-1].lstrip().startswith(">")):
        lines.pop()
    return "\n".join(lines).strip()


def reply_text(message: EmailMessage) -> str:
    """What the person wrote, from the plain text part, or from the HTML one when there is
    no plain text."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _decoded(part)
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return strip_quotes(text.replace("\r\n", "\n"))


def _leaves(part: EmailMessage):
    """Every part that is not a container, without going into attached messages."""
    if part.is_multipart() and part.get_content_maintype() == "multipart":
        for child in part.iter_parts():
            yield from _leaves(child)
    else:
        yield part


def attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    """(file name, bytes) of each attached file. Images pasted into the text (inline, with a
    Content-ID) are left out: they are a signature's logo as often as a picture meant."""
    files = []
    for part in _leaves(message):
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if disposition == "attachment" or (filename and part.get("Content-ID") is None
                                           and part.get_content_maintype() != "text"):
            data = part.get_payload(decode=True) if not part.is_multipart() else part.as_bytes()
            files.append((filename or "attachment", data or b""))
    return files
