"""Sending email: SMTP from SMTP_URL, or .eml files in the outbox folder when none is set.

A send ends one of three ways: it returns (the server answered 250 to the message), it raises
OSError or an smtplib error (the server never took the whole message, or refused it: nothing
was delivered), or it raises OutcomeUnknown (the whole message was handed over and no answer
came: the server may have accepted it).
"""
import os
import re
import smtplib
import ssl
import threading
import time
from collections.abc import Mapping
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

ADDRESS_HEADERS = ("From", "To", "Reply-To")
# What str.splitlines() breaks at.
LINE_BREAK = re.compile("[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
OUTBOX_NAME = re.compile(r"^[\w.-]+\.eml$")
LINE_STARTING_WITH_DOT = re.compile(rb"(?m)^\.")
# Replies a send may wait for before the message is handed over (greeting, EHLO, STARTTLS,
# EHLO again, AUTH in two steps, MAIL, RCPT, DATA) plus the writing of the message itself.
WAITS_BEFORE_MESSAGE = 10
# A kept connection idle this long is checked with NOOP before it carries a message.
IDLE_CHECK_SECONDS = 5.0


class OutcomeUnknown(Exception):
    """The server received the whole message but its answer never came."""


def outbox_dir() -> Path:
    return Path(current_app.config["OUTBOX_DIR"])


def longest_send(*, connect: float, command: float, reply: float) -> float:
    """The longest one send may legitimately take with these timeouts (SMTP_*_TIMEOUT):
    connecting, every reply before the message, the answer to the message, a short QUIT."""
    return 2 * connect + WAITS_BEFORE_MESSAGE * command + reply


class _Waits:
    """The waits of RFC 5321 §4.5.3.2 on an smtplib client: a short one to connect, the
    command timeout for every reply before the message, the reply timeout after it."""

    def __init__(self, host: str, port: int, *, waits: Mapping, **kwargs):
        self.connect_timeout = waits["SMTP_CONNECT_TIMEOUT"]
        self.command_timeout = waits["SMTP_COMMAND_TIMEOUT"]
        self.reply_timeout = waits["SMTP_REPLY_TIMEOUT"]
        super().__init__(host, port, timeout=self.connect_timeout, **kwargs)  # connects

    def _get_socket(self, host, port, timeout):
        # smtplib reads the greeting with the timeout it connected with; the greeting may
        # take as long as any other reply.
        sock = super()._get_socket(host, port, timeout)
        sock.settimeout(self.command_timeout)
        return sock

    def data(self, msg: bytes):
        """smtplib's DATA step, telling apart a message never handed over (smtplib errors,
        nothing delivered) from one handed over and never answered (OutcomeUnknown)."""
        code, reply = self.docmd("DATA")
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        self.message_started = True
        body = LINE_STARTING_WITH_DOT.sub(b"..", msg)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        self.send(body + b".\r\n")
        # The server now holds the whole message; only its answer says whether it took it.
        self.sock.settimeout(self.reply_timeout)
        try:
            code, reply = self.getreply()
        except (OSError, smtplib.SMTPException) as error:
            raise OutcomeUnknown(
                f"no answer from the mail server within {self.reply_timeout:g} s after the "
                f"whole message was sent ({error}); it may have been delivered") from error
        if 200 <= code < 300:
            return 250, reply  # RFC 5321 §4.2.1: the first digit tells success
        if 400 <= code < 600:
            return code, reply  # refused: smtplib raises SMTPDataError
        raise OutcomeUnknown(f"the mail server answered the message with {code} {reply!r}; "
                             f"it may have been delivered")


class _SMTP(_Waits, smtplib.SMTP):
    pass


class _SMTPS(_Waits, smtplib.SMTP_SSL):
    pass


def compose(headers: Mapping[str, str], text: str, html: str) -> Message:
    """A message with a plain-text and an HTML alternative. It is built from the email
    package's compat32 classes, which keep headers as given: the default policy parses and
    refolds every header, which took two fifths of a delivery's time. An address outside
    ASCII (RFC 6531) needs the default policy, which writes it as UTF-8."""
    for value in headers.values():
        if LINE_BREAK.search(value):  # compat32 would write it, ending the headers there
            raise ValueError("Header values may not contain linefeed or carriage return "
                             "characters (nor any other line break)")
    if any(not parseaddr(headers[name])[1].isascii()
           for name in ADDRESS_HEADERS if name in headers):
        message = EmailMessage()
        for name, value in headers.items():
            message[name] = value
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message
    message = MIMEMultipart("alternative")
    for name, value in headers.items():
        message[name] = (_address(value) if name in ADDRESS_HEADERS
                         else value if value.isascii() else Header(value, "utf-8"))
    message.attach(MIMEText(text, "plain", "utf-8"))
    message.attach(MIMEText(html, "html", "utf-8"))
    return message


def _address(value: str) -> str | Header:
    """An address header, its name outside ASCII in encoded words of legal length."""
    name, address = parseaddr(value)
    if name.isascii():
        return formataddr((name, address))
    header = Header(name, "utf-8")
    header.append(f"<{address}>", "us-ascii")
    return header


def send(message: Message) -> None:
    """Hand one message to the mail server. Raises OSError/smtplib errors when it was not
    delivered, OutcomeUnknown when it was handed over and no answer came."""
    config = current_app.config
    if not config["SMTP_URL"]:
        folder = outbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]", "_", message["Message-ID"].strip("<>")) + ".eml"
        (folder / name).write_bytes(message.as_bytes())
        return
    while True:
        client, reused = _connection(config)
        try:
            client.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            _discard(client)
            # A kept connection the server has closed meanwhile fails before the message is
            # handed over (nothing delivered): once more on a new one. A new one's failure
            # is the send's.
            if reused and not client.message_started and _went_away(error):
                continue
            raise
        except BaseException:
            # OutcomeUnknown among them: the answer may still come and would be read as the
            # answer to the next command, so the connection is never used again.
            _discard(client)
            raise
        client.used_at = time.monotonic()
        return


# The connection a process (each thread of it) keeps open between messages: connecting,
# EHLO and QUIT cost more than sending a short message.
_held = threading.local()
_open: set = set()
_open_lock = threading.Lock()


def _connection(config: Mapping) -> tuple[_SMTP | _SMTPS, bool]:
    """The open connection for SMTP_URL and its timeouts, and whether it has been used."""
    key = (config["SMTP_URL"], config["SMTP_CONNECT_TIMEOUT"], config["SMTP_COMMAND_TIMEOUT"],
           config["SMTP_REPLY_TIMEOUT"])
    client = getattr(_held, "client", None)
    if client is not None:
        if client.key == key and client.sock is not None and _still_there(client):
            client.sock.settimeout(client.command_timeout)
            client.message_started = False
            return client, True
        _discard(client)
    client = _connect(config["SMTP_URL"], config)
    client.key, client.used_at, client.message_started = key, time.monotonic(), False
    _held.client = client
    with _open_lock:
        _open.add(client)
    return client, False


def _connect(url: str, config: Mapping) -> "_SMTP | _SMTPS":
    parts = urlsplit(url)
    options = parse_qs(parts.query)
    if parts.scheme == "smtps":
        client = _SMTPS(parts.hostname, parts.port or 465, waits=config,
                        context=ssl.create_default_context())
    else:
        client = _SMTP(parts.hostname, parts.port or 25, waits=config)
    try:
        if parts.scheme == "smtp" and options.get("starttls", ["0"])[0] in ("1", "true"):
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
    except BaseException:
        _quit(client)
        raise
    return client


def _still_there(client) -> bool:
    """A connection idle for a while may have been closed by the server, or lost without a
    word (a NAT forgetting it): NOOP, waiting no longer than for a connect."""
    if time.monotonic() - client.used_at < IDLE_CHECK_SECONDS:
        return True
    try:
        client.sock.settimeout(client.connect_timeout)
        return client.noop()[0] == 250
    except (OSError, smtplib.SMTPException):
        return False


def _went_away(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421  # the server is closing the connection
    return isinstance(error, (OSError, smtplib.SMTPServerDisconnected))


def _discard(client) -> None:
    with _open_lock:
        _open.discard(client)
    if getattr(_held, "client", None) is client:
        _held.client = None
    _quit(client)


def close_connections() -> None:
    """QUIT every connection this process keeps open (a worker process shutting down)."""
    with _open_lock:
        clients = list(_open)
    for client in clients:
        _discard(client)


def _forget_inherited() -> None:
    # A forked child shares the parent's sockets: saying QUIT on them would end the parent's
    # sessions, so the child only lets go of them.
    global _held, _open_lock
    _held, _open_lock = threading.local(), threading.Lock()
    _open.clear()


os.register_at_fork(after_in_child=_forget_inherited)


def _quit(client: smtplib.SMTP) -> None:
    """Say goodbye briefly; what the server says now changes nothing (its answer to the
    message is already known), so an error here is not the send's."""
    try:
        if client.sock:
            client.sock.settimeout(client.connect_timeout)
            client.quit()
    except (OSError, smtplib.SMTPException):
        pass
    finally:
        client.close()


def outbox_messages() -> list[Path]:
    folder = outbox_dir()
    if not folder.exists():
        return []
    return sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)
