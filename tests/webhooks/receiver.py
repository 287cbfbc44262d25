"""A webhook receiver on 127.0.0.1, as a subscriber would run one: it verifies every request
with the Standard Webhooks library's own verifier and remembers the webhook-ids it processed,
so a second copy of an event (a retry after a lost answer) is received but not processed.

``answers`` scripts the status of each request in turn (then 200); ``delay`` makes it slow
(it has read the request, recorded it and is about to answer while it waits)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    webhook_id: str
    timestamp: str
    verified: bool
    payload: dict | None
    body: bytes
    path: str


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # quiet
        pass

    def do_POST(self) -> None:
        server: Receiver = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        headers = dict(self.headers.items())
        try:
            payload = Webhook(server.secret).verify(body, headers)
            verified = True
        except (WebhookVerificationError, ValueError):
            payload, verified = None, False
        received = Received(
            self.headers.get("webhook-id", ""),
            self.headers.get("webhook-timestamp", ""),
            verified,
            payload,
            body,
            self.path,
        )
        status, extra_headers = server.next_answer(received)
        if server.delay:
            with server.lock:
                server.in_flight += 1
            time.sleep(server.delay)
            with server.lock:
                server.in_flight -= 1
        self.send_response(status)
        for name, value in extra_headers.items():
            self.send_header(name, value)
        answer = json.dumps({"ok": 200 <= status < 300}).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, secret: str = "", *, answers=(), delay: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.secret = secret
        self.answers = list(answers)  # status, or (status, headers)
        self.delay = delay
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.processed: Counter[str] = Counter()  # webhook-id -> times acted upon (0 or 1)
        self.in_flight = 0
        threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks"

    def next_answer(self, received: Received) -> tuple[int, dict]:
        with self.lock:
            self.received.append(received)
            answer = self.answers.pop(0) if self.answers else 200
            status, headers = answer if isinstance(answer, tuple) else (answer, {})
            # The receiver's side of exactly once: act on a verified event the first time
            # its webhook-id is seen, and only if it answers 2xx.
            if (
                received.verified
                and 200 <= status < 300
                and received.webhook_id not in self.processed
            ):
                self.processed[received.webhook_id] += 1
            return status, headers

    def close(self) -> None:
        self.shutdown()
        self.server_close()

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
