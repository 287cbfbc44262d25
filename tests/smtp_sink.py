"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, in a thread of the test process.

It records the Message-ID of every message it accepts, at the moment it answers 250 to the
message, as a mail server takes responsibility for it then. It can be slow (``delay`` seconds
before that answer), refuse recipients, or answer the message with an error.
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
        self.accepted: list[str] = []  # Message-IDs, in the order they were accepted
        self.receiving = threading.Event()  # set once a message has been transmitted
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
        """How many times each Message-ID was accepted."""
        with self._lock:
            return Counter(self.accepted)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.receiving.set()
        await asyncio.sleep(self.delay)
        if self.data_reply:
            return self.data_reply
        message_id = email.message_from_bytes(envelope.original_content)["Message-ID"]
        with self._lock:
            self.accepted.append(message_id)
        return "250 2.0.0 Accepted"
