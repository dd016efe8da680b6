"""The inbound mail listener: an SMTP (or LMTP) server an MTA hands replies to.

It does as little as possible: it refuses what is not for a reply address or too large,
stores each message in the database, answers 250 only once that is committed, and queues
the processing for a worker. It never reads the message itself.
"""
import asyncio
import signal
import socket

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask

from onestop.db import utcnow
from onestop.extensions import db
from onestop.jobs import enqueue_replies
from onestop.notifications.inbound import is_reply_address, store_reply

# A message for more reply addresses than this is refused beyond it (each is stored whole).
MAX_RECIPIENTS = 10


class ReplyHandler:
    """aiosmtpd's handler: the checks at RCPT, the storing at DATA (in a thread, so a slow
    database does not hold up the other connections)."""

    def __init__(self, app: Flask):
        self.app = app

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if not is_reply_address(address):
            return "550 5.1.1 No such mailbox here: only reply addresses are taken"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        try:
            await asyncio.get_running_loop().run_in_executor(
                None, self.store, envelope.original_content, envelope.mail_from or "",
                list(envelope.rcpt_tos))
            status = "250 2.0.0 Stored"
        except Exception:  # noqa: BLE001 - the sender keeps the message and tries again
            self.app.logger.exception("inbound message from %s not stored", envelope.mail_from)
            status = "451 4.3.0 Cannot store the message now; try again later"
        if isinstance(server, LMTP):
            # LMTP answers the message once for each recipient.
            return "\r\n".join([status] * len(envelope.rcpt_tos))
        return status

    def store(self, raw: bytes, envelope_from: str, recipients: list[str]) -> list[int]:
        with self.app.app_context():
            try:
                ids = store_reply(raw, envelope_from=envelope_from, recipients=recipients,
                                  now=utcnow())
                db.session.commit()
            except Exception:
                db.session.rollback()
                raise
            enqueue_replies(ids)
            return ids


def serve(app: Flask, host: str, port: int, *, lmtp: bool = False,
          ready=lambda text: None) -> None:
    """Listen until SIGINT or SIGTERM; a message being stored is finished first."""
    handler = ReplyHandler(app)
    protocol = LMTP if lmtp else SMTP

    def connection():
        return protocol(handler, data_size_limit=app.config["INBOUND_MAX_BYTES"],
                        enable_SMTPUTF8=True, hostname=socket.gethostname())

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(connection, host, port)
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        ready(f"inbound {'LMTP' if lmtp else 'SMTP'} listener on {host}:{port}")
        await stop.wait()
        server.close()
        await server.wait_closed()

    asyncio.run(main())
