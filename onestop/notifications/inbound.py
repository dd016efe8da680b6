"""Replies by email: the reply address each notification carries, and what a reply handed
to the inbound listener becomes — a comment by that user on that case, or a refusal.

The listener (listener.py) only stores the message (store_reply) and queues it; a worker
processes it (handle_reply) in one transaction that either posts the comment or records the
refusal and its bounce, so a crash leaves the message stored and the sweep hands it out again.
"""
import base64
import binascii
import hashlib
import hmac
import smtplib
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import formatdate, parseaddr

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import or_, select, update

from onestop import mail, policy
from onestop.accounts.models import User
from onestop.cases.models import Case, NoteAudience
from onestop.cases.services import add_comment
from onestop.errors import Conflict, DomainError, NotAllowed, NotFound
from onestop.extensions import db
from onestop.i18n import lazy_gettext as _l
from onestop.notifications import ledger, reply_mail
from onestop.notifications.models import AlertKind, EventKind, InboundMessage, InboundStatus
from onestop.statuses import ACTIVE_TASK
from onestop.tasks import extensions

# --- The reply address -----------------------------------------------------------------------
#
# reply+<token>@REPLY_DOMAIN, the token being base32 (a-z, 2-7) of the user, the case, the
# audience and the moment, followed by 96 bits of an HMAC-SHA256 over them: 40 characters,
# which survive a mail server that lowercases the local part (itsdangerous' tokens are
# case-sensitive base64) and keep it within the 64 characters RFC 5321 allows.

# EXTENSION_ASK: a reply to the email asking the firm's consent to a further extension (its
# first line may answer it); otherwise the replier's usual audience.
EXTENSION_ASK = "extension_ask"
_AUDIENCE_CODES = {"": b"d", NoteAudience.PUBLIC: b"p", NoteAudience.PARTNERS: b"n",
                   NoteAudience.DESK: b"k", EXTENSION_ASK: b"x"}
_AUDIENCES = {code: audience for audience, code in _AUDIENCE_CODES.items()}
_PAYLOAD = struct.Struct(">IIcI")  # user id, case id, audience code, issued (Unix seconds)
_MAC_BYTES = 12
PREFIX = "reply+"


@dataclass(frozen=True)
class ReplyAddress:
    user_id: int
    case_id: int
    audience: str  # "" for the replier's usual audience on the case, or EXTENSION_ASK
    issued_at: datetime


def _keys() -> list[bytes]:
    config = current_app.config
    secrets = [config["SECRET_KEY"], *reversed(config.get("SECRET_KEY_FALLBACKS", []))]
    return [hmac.new(s.encode() if isinstance(s, str) else s, b"onestop.reply-address",
                     hashlib.sha256).digest() for s in secrets]


def _mac(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]


def reply_address(row) -> str:
    """reply+<token>@<domain>: the token names the recipient, the case and the audience a
    reply goes to (that of the comment or note it answers; else the replier's usual one),
    signed, dated by the row so that every rendering of it is the same."""
    comment = row.event.comment if row.event_id and row.event.comment_id else None
    audience = (comment.audience if comment is not None
                else EXTENSION_ASK if row.kind == EventKind.EXTENSION_ASKED else "")
    payload = _PAYLOAD.pack(row.user_id, row.case_id, _AUDIENCE_CODES[audience],
                            int(row.created_at.timestamp()))
    token = base64.b32encode(payload + _mac(_keys()[0], payload)).decode().lower()
    return f"{PREFIX}{token}@{current_app.config['REPLY_DOMAIN']}"


def is_reply_address(address: str) -> bool:
    local = address.rpartition("@")[0]
    return local[:len(PREFIX)].lower() == PREFIX and len(local) > len(PREFIX)


def read_reply_address(address: str) -> ReplyAddress | None:
    """What a reply address says, or None when it was not made here (or was altered)."""
    address = address.strip()
    if not is_reply_address(address):
        return None
    local = address.rpartition("@")[0]
    try:
        data = base64.b32decode(local[len(PREFIX):].upper())
    except (binascii.Error, ValueError):
        return None
    payload, mac = data[:_PAYLOAD.size], data[_PAYLOAD.size:]
    if len(mac) != _MAC_BYTES or not any(hmac.compare_digest(mac, _mac(key, payload))
                                         for key in _keys()):
        return None
    user_id, case_id, code, issued = _PAYLOAD.unpack(payload)
    if code not in _AUDIENCES:
        return None
    return ReplyAddress(user_id, case_id, _AUDIENCES[code], datetime.fromtimestamp(issued, UTC))


# --- Taking a message in (the listener) ------------------------------------------------------

def store_reply(raw: bytes, *, envelope_from: str, recipients: list[str],
                now: datetime) -> list[int]:
    """Keep the email once for each reply address it was sent to; the same email handed over
    again (same Message-ID, same address) adds nothing. Returns the ids of the new rows, to
    be queued once the transaction has committed."""
    message_id = str(BytesHeaderParser().parsebytes(raw).get("Message-ID", "")).strip()
    identity = message_id or hashlib.sha256(raw).hexdigest()
    rows = [{"key": hashlib.sha256(f"{identity}\n{address.lower()}".encode()).hexdigest(),
             "message_id": message_id[:255], "recipient": address[:320],
             "envelope_from": envelope_from[:320], "raw": raw,
             "status": InboundStatus.RECEIVED, "error": "", "attempts": 0,
             "received_at": now, "enqueued_at": now} for address in dict.fromkeys(recipients)]
    stmt = (ledger.insert()(InboundMessage).values(rows)
            .on_conflict_do_nothing(index_elements=["key"]).returning(InboundMessage.id))
    return list(db.session.scalars(stmt))


def requeue_replies(now: datetime) -> list[int]:
    """Stored messages still waiting whose queue message seems lost (never consumed, or
    given back by a processing that failed): hand them out again."""
    stale = now - timedelta(seconds=current_app.config["NOTIFY_REQUEUE_AFTER_SECONDS"])
    ids = list(db.session.scalars(
        select(InboundMessage.id).where(
            InboundMessage.status == InboundStatus.RECEIVED,
            or_(InboundMessage.enqueued_at.is_(None), InboundMessage.enqueued_at < stale))
        .with_for_update(skip_locked=True)))
    if ids:
        db.session.execute(update(InboundMessage).where(InboundMessage.id.in_(ids))
                           .values(enqueued_at=now))
    return ids


# --- What a reply becomes --------------------------------------------------------------------

REASONS = {
    "unknown_address": _l("The address you replied to is not one of ours, or it was changed "
                          "on the way."),
    "wrong_sender": _l("It came from %(sender)s, not from %(email)s, the address the message "
                       "you answered was sent to. Reply from that address."),
    "expired": _l("The address you replied to has expired: replies are taken for %(days)d days "
                  "after a message is sent."),
    "no_access": _l("You can no longer write on this request."),
    "audience": _l("You can no longer write to the people the note you answered was for."),
    "empty": _l("We found no text above the quoted message. Write your answer at the top."),
    "too_large": _l("The email is larger than %(mb)d MB."),
    "invalid": _l("It could not be added:"),
}


class _Refused(Exception):
    def __init__(self, reason: str, *, user: User | None = None, case: Case | None = None,
                 detail=""):
        super().__init__(reason)
        self.reason, self.user, self.case, self.detail = reason, user, case, detail


class _Ignored(Exception):
    pass


@dataclass
class Outcome:
    status: str
    bounce: EmailMessage | None = None  # to a sender who is no user, sent after the commit


def process_reply(inbound_id: int, *, now: datetime) -> Outcome | None:
    """Turn one stored message into a comment, or refuse it (and tell the sender), or ignore
    it (written by a machine), all in the caller's transaction. None when it is not waiting
    (processed already, or another worker holds it)."""
    claimed = db.session.execute(
        update(InboundMessage).where(InboundMessage.id == inbound_id,
                                     InboundMessage.status == InboundStatus.RECEIVED)
        .values(status=InboundStatus.PROCESSING)).rowcount
    if not claimed:
        return None
    stored = db.session.get(InboundMessage, inbound_id)
    message = reply_mail.parse(stored.raw)
    outcome = Outcome(InboundStatus.POSTED)
    try:
        stored.comment = _post(stored, message, now)
    except _Ignored as ignored:
        current_app.logger.info("inbound message %s ignored: %s", stored.id, ignored)
        outcome, stored.error = Outcome(InboundStatus.IGNORED), str(ignored)
    except _Refused as refused:
        current_app.logger.info("inbound message %s refused: %s", stored.id, refused.reason)
        outcome = Outcome(InboundStatus.REFUSED, _tell(stored, message, refused, now))
        stored.error = f"{refused.reason}: {refused.detail}" if refused.detail else refused.reason
    stored.status, stored.processed_at = outcome.status, now
    return outcome


def _post(stored: InboundMessage, message: EmailMessage, now: datetime):
    config = current_app.config
    machine = reply_mail.automatic(message, stored.envelope_from,
                                   parseaddr(config["MAIL_FROM"])[1].lower())
    if machine:
        raise _Ignored(machine)
    if len(stored.raw) > config["INBOUND_MAX_BYTES"]:
        raise _Refused("too_large")
    address = read_reply_address(stored.recipient)
    user = db.session.get(User, address.user_id) if address else None
    case = db.session.get(Case, address.case_id) if address else None
    if user is None or case is None:
        raise _Refused("unknown_address")
    if reply_mail.address_of(message) != user.email.lower():
        raise _Refused("wrong_sender", user=user, case=case)
    max_age = timedelta(days=config["REPLY_TOKEN_MAX_AGE_DAYS"])
    if address.issued_at + max_age < stored.received_at:
        raise _Refused("expired", user=user, case=case)
    if not user.is_enabled or not policy.can(user, "case.comment", case):
        raise _Refused("no_access", user=user)
    audiences = policy.note_audiences(user, case)
    answers_extension = address.audience == EXTENSION_ASK
    audience = "" if answers_extension else address.audience
    audience = audience or audiences[0]
    if audience not in audiences:
        raise _Refused("audience", user=user, case=case)
    body = reply_mail.reply_text(message)
    if not body:
        raise _Refused("empty", user=user, case=case)
    ask = _extension_answered(user, case, body) if answers_extension else None
    try:
        # A refused attachment or a finished case leaves nothing behind but the refusal.
        with db.session.begin_nested():
            if ask is not None:  # the answer is the record; it is not a comment
                extensions.answer_extension(user, ask[0], ask[1], now=now)
                return None
            return add_comment(user, case, body, audience=audience,
                               files=reply_mail.attachments(message), now=now)
    except (Conflict, NotAllowed, NotFound):
        raise _Refused("audience", user=user, case=case) from None
    except DomainError as error:  # a file the upload checks refuse, a finished request
        raise _Refused("invalid", user=user, case=case, detail=error.message) from None


def _extension_answered(user: User, case: Case, body: str):
    """(the request to extend, agreed?) when a reply to the email asking the firm's consent
    says agree or not on its first line and exactly one request waits on an active task;
    else None (the reply is a comment like any other)."""
    agree = extensions.consent_in(body)
    if agree is None or not policy.can(user, "case.answer_extension", case):
        return None
    asks = [ask for task in case.tasks
            if task.status in ACTIVE_TASK and (ask := extensions.pending(task))]
    return (asks[0], agree) if len(asks) == 1 else None


def _tell(stored: InboundMessage, message: EmailMessage, refused: _Refused,
          now: datetime) -> EmailMessage | None:
    """The bounce: a ledger row when the sender is a user (the token's, else the one whose
    address sent it), else an email to the envelope sender, returned to be sent after the
    commit."""
    sender = reply_mail.address_of(message) or ""
    user = refused.user or (db.session.scalar(select(User).where(User.email == sender))
                            if sender else None)
    if user is None:
        return _stranger_bounce(stored, message, refused)
    case = refused.case if refused.case and policy.can(user, "case.view", refused.case) else None
    with force_locale(user.locale or "ko"):
        params = _bounce_params(message, refused, sender, user_email=user.email)
    params["path"] = f"/cases/{case.id}" if case else "/"
    ledger.write([ledger.row(key=f"inbound:{stored.id}", user_id=user.id, now=now,
                             kind=AlertKind.REPLY_REFUSED, params=params)])
    return None


def _bounce_params(message: EmailMessage, refused: _Refused, sender: str, *,
                   user_email: str = "") -> dict:
    """What the bounce says, in the current locale."""
    config = current_app.config
    sentence = REASONS[refused.reason] % {
        "sender": sender, "email": user_email, "days": config["REPLY_TOKEN_MAX_AGE_DAYS"],
        "mb": config["INBOUND_MAX_BYTES"] // (1024 * 1024)}
    return {"reason": refused.reason, "sentence": str(sentence), "detail": str(refused.detail),
            "subject": str(message.get("Subject", ""))[:200]}


def _stranger_bounce(stored: InboundMessage, message: EmailMessage,
                     refused: _Refused) -> EmailMessage:
    """A short answer, in Korean then English, to a sender we do not know."""
    config = current_app.config
    link = config["PUBLIC_URL"].rstrip("/") + "/"
    texts, subject = [], ""
    for locale in ("ko", "en"):
        with force_locale(locale):
            context = {"user": None, "params": _bounce_params(message, refused, ""), "link": link}
            subject = subject or render_template("emails/reply_refused_subject.txt",
                                                 **context).strip()
            texts.append(render_template("emails/reply_refused.txt", **context))
    bounce = EmailMessage()
    bounce["Subject"] = subject
    bounce["From"] = config["MAIL_FROM"]
    bounce["To"] = stored.envelope_from
    bounce["Message-ID"] = f"<inbound-{stored.id}@onestop>"
    bounce["Date"] = formatdate(localtime=False)
    if stored.message_id:
        bounce["In-Reply-To"] = stored.message_id
    bounce["Auto-Submitted"] = "auto-replied"  # RFC 3834: no answering machine answers it
    bounce["X-OneStop-Notification"] = f"inbound-{stored.id}"
    bounce.set_content("\n\n".join(texts))
    return bounce


def handle_reply(inbound_id: int, now: datetime) -> str:
    """The worker's step: process one stored message and commit. A processing that breaks
    is rolled back and counted; the message waits for the next sweep, and after
    NOTIFY_MAX_ATTEMPTS it is marked failed with the error."""
    try:
        outcome = process_reply(inbound_id, now=now)
        db.session.commit()
    except Exception as error:  # noqa: BLE001 - whatever broke, the message must not loop hot
        db.session.rollback()
        current_app.logger.exception("inbound message %s could not be processed", inbound_id)
        return _count_failure(inbound_id, f"{type(error).__name__}: {error}")
    if outcome is None:
        return "not-claimed"
    if outcome.bounce is not None:
        try:
            mail.send(outcome.bounce)
        except (OSError, smtplib.SMTPException, mail.OutcomeUnknown):
            current_app.logger.warning("bounce for inbound message %s not sent", inbound_id)
    return str(outcome.status)


def _count_failure(inbound_id: int, error: str) -> str:
    stored = db.session.get(InboundMessage, inbound_id)
    if stored is None or stored.status != InboundStatus.RECEIVED:
        return "not-claimed"
    stored.attempts += 1
    stored.error = error[:2000]
    stored.enqueued_at = None
    if stored.attempts >= current_app.config["NOTIFY_MAX_ATTEMPTS"]:
        stored.status = InboundStatus.FAILED
    db.session.commit()
    return "failed" if stored.status == InboundStatus.FAILED else "retry"
