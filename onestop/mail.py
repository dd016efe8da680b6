"""Sending email: SMTP from SMTP_URL, or .eml files in the outbox folder when none is set."""
import re
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

OUTBOX_NAME = re.compile(r"^[\w.-]+\.eml$")


def outbox_dir() -> Path:
    return Path(current_app.config["OUTBOX_DIR"])


def send(message: EmailMessage, *, timeout: float = 20) -> None:
    """Hand one message to the mail server; raises OSError/smtplib errors when it fails."""
    url = current_app.config["SMTP_URL"]
    if not url:
        folder = outbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]", "_", message["Message-ID"].strip("<>")) + ".eml"
        (folder / name).write_bytes(message.as_bytes())
        return
    parts = urlsplit(url)
    options = parse_qs(parts.query)
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(parts.hostname, parts.port or 465, timeout=timeout,
                                  context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=timeout)
    with client:
        if parts.scheme == "smtp" and options.get("starttls", ["0"])[0] in ("1", "true"):
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


def outbox_messages() -> list[Path]:
    folder = outbox_dir()
    if not folder.exists():
        return []
    return sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)
