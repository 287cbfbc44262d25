"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, in a thread of the test process.

It records the Message-ID of every message it receives in full (``received``): like a real
mail server, it has the message then and delivers it even if the client vanishes before the
answer. It answers 250 ``delay`` seconds later (``accepted``). It can also refuse recipients,
or answer every message with an error (then it records nothing).
"""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from collections import Counter

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SMTPSink:
    """``with SMTPSink(delay=0.7) as sink:`` a server at ``sink.url``; it is its own aiosmtpd
    handler (the ``handle_*`` methods)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.refuse: dict[str, str] = {}  # recipient -> answer to its RCPT, e.g. "550 ..."
        self.data_reply = ""  # an error answer to every message instead of 250
        self.received: list[str] = []  # Message-IDs, in the order they were received
        self.accepted: list[str] = []  # ... and answered 250
        self._lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SMTPSink:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()

    def counts(self) -> Counter:
        """How many times each Message-ID was received."""
        with self._lock:
            return Counter(self.received)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            await asyncio.sleep(self.delay)
            return self.data_reply
        message_id = email.message_from_bytes(envelope.original_content)["Message-ID"]
        with self._lock:
            self.received.append(message_id)
        await asyncio.sleep(self.delay)  # cancelled if the client goes away meanwhile
        with self._lock:
            self.accepted.append(message_id)
        return "250 2.0.0 Accepted"
