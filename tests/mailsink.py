"""A recording SMTP server on loopback (aiosmtpd) that can be slow, refuse, or hang up."""
import asyncio
import socket
import threading
from collections import Counter
from dataclasses import dataclass
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser

from aiosmtpd.controller import Controller


def rendered(row) -> EmailMessage:
    """The email of a ledger row as a mail program reads it: headers decoded, parts by type."""
    from onestop.notifications import delivery

    return BytesParser(policy=email_policy.default).parsebytes(
        delivery.render_email(row).as_bytes())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Received:
    message_id: str
    recipients: tuple[str, ...]
    subject: str
    text: str = ""        # the plain-text part
    reply_to: str = ""
    peer: tuple = ()      # the client's (address, port): one per connection


class RecordingHandler:
    """Records every whole message it is handed (thread-safe), then answers after `delay`
    seconds with `reply`, or hangs up when `reply` is None. `rcpt_reply` refuses recipients,
    `quit_reply` answers QUIT with something other than 221, `close_every` closes the
    connection right after answering every so many messages (counted over all connections).

    Recording before the delay makes the delay the worst window for a crash: the server holds
    the message (a real one would deliver it) but the client has not heard back yet.
    """

    def __init__(self, delay: float = 0.0, reply: str | None = "250 Message accepted for delivery",
                 rcpt_reply: str | None = None, quit_reply: str | None = None,
                 close_every: int = 0):
        self.delay, self.reply, self.rcpt_reply, self.quit_reply = (delay, reply, rcpt_reply,
                                                                    quit_reply)
        self.close_every = close_every
        self.quits = 0
        self._lock = threading.Lock()
        self._received: list[Received] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = BytesParser(policy=email_policy.default).parsebytes(envelope.content)
        body = message.get_body(("plain",))
        received = Received(str(message["Message-ID"]), tuple(envelope.rcpt_tos),
                            str(message["Subject"]), body.get_content() if body else "",
                            str(message["Reply-To"] or ""), tuple(session.peer))
        with self._lock:
            self._received.append(received)
            closing = self.close_every and len(self._received) % self.close_every == 0
        if closing:  # runs once the answer below is written
            asyncio.get_running_loop().call_soon(server.transport.close)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.reply is None:
            server.transport.abort()  # the connection drops before any answer
        return self.reply or "451 never sent"

    async def handle_QUIT(self, server, session, envelope):
        with self._lock:
            self.quits += 1
        return self.quit_reply or "221 Bye"

    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)


class MailServer:
    """An aiosmtpd server on a loopback port, recording what it accepts."""

    def __init__(self, port: int | None = None, delay: float = 0.0, **behaviour):
        self.port = port or free_port()
        self.handler = RecordingHandler(delay, **behaviour)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     enable_SMTPUTF8=True)
        self.controller.start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def received(self) -> list[Received]:
        return self.handler.received()

    def counts_by_message_id(self) -> Counter:
        return Counter(m.message_id for m in self.received())

    def connections(self) -> set[tuple]:
        """The connections that carried a message."""
        return {m.peer for m in self.received()}

    def stop(self) -> None:
        self.controller.stop()
