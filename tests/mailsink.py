"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives, for tests that read
e-mailed codes."""

from __future__ import annotations

import email
import re
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller

from tests.server.conftest import free_port


class MailSink:
    """aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(msg, EmailMessage)
        with self.lock:
            self.messages.append(msg)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> EmailMessage:
        """The ``count``-th message to ``address`` (waiting for it to arrive)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.to(address)
            if len(got) >= count:
                return got[count - 1]
            time.sleep(0.02)
        raise AssertionError(f"no message #{count} to {address} within {timeout} s (got {len(self.to(address))})")

    def code(self, address: str, count: int = 1) -> str:
        msg = self.wait_for(address, count)
        body = msg.get_content()
        found = re.findall(r"\b(\d{6})\b", body)
        assert found, body
        assert len(set(found)) == 1, f"the mail names several codes: {found}"
        assert found[0] in msg["Subject"]
        return found[0]


def running_sink() -> Iterator[tuple[MailSink, int]]:
    """Start a sink on a free loopback port; yields (sink, port) and stops it afterwards."""
    sink = MailSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()
