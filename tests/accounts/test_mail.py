"""E-mail for real: an aiosmtpd server on 127.0.0.1 receives what the node sends, and the outbox
keeps messages as .eml files when no SMTP server is configured."""

from __future__ import annotations

import email
import email.policy
import logging
import re
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from eonode.accounts.mail import OutboxMailer, SmtpMailer, mailer_for
from eonode.accounts.model import UserStatus
from eonode.errors import MailError

from .conftest import PASSWORD

SENDER = "GF node <noreply@node.example>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Collector:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls it by this name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(e.content, policy=email.policy.default) for e in self.envelopes]


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port, self.collector = port, Collector()
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer(free_port()) as server:
        yield server


def code_in(message: EmailMessage) -> str:
    found = re.search(r"verification code is (\d{6})\b", message.get_content())
    assert found, message.get_content()
    return found.group(1)


def test_smtp_mailer_delivers_a_message(smtp: SmtpServer) -> None:
    SmtpMailer("127.0.0.1", smtp.port, sender=SENDER, timeout=5).send(
        "ada@example.org", "GF node: 您好 ü", "line one\n您的验证码是 123456\n"
    )
    [envelope] = smtp.collector.envelopes
    assert envelope.mail_from == "noreply@node.example" and envelope.rcpt_tos == ["ada@example.org"]
    [message] = smtp.collector.messages()
    assert message["From"] == SENDER and message["To"] == "ada@example.org"
    assert message["Subject"] == "GF node: 您好 ü"
    assert message["Message-ID"] and message["Date"]
    assert message.get_content().replace("\r\n", "\n") == "line one\n您的验证码是 123456\n"  # SMTP sends CRLF


def test_a_code_sent_by_smtp_completes_registration(make_env, smtp: SmtpServer) -> None:
    env = make_env(record_mail=False, smtp_host="127.0.0.1", smtp_port=smtp.port, mail_from=SENDER, title="GF node")
    assert isinstance(env.users.mailer, SmtpMailer)
    env.users.send_code("ada@example.org", "register")
    [message] = smtp.collector.messages()
    assert message["To"] == "ada@example.org" and message["Subject"].startswith("GF node: your verification code")
    code = code_in(message)
    assert re.fullmatch(r"\d{6}", code) and code in message["Subject"]
    user = env.users.register(username="ada", email="ada@example.org", password=PASSWORD, password2=PASSWORD, code=code)
    assert user.status is UserStatus.ACTIVE

    env.users.register(username="bob", email="bob@example.org", password=PASSWORD)  # pending: the code is mailed
    assert smtp.collector.envelopes[-1].rcpt_tos == ["bob@example.org"]
    verified = env.users.verify("bob@example.org", code_in(smtp.collector.messages()[-1]))
    assert verified.status is UserStatus.ACTIVE


def test_mail_error_when_the_server_is_down_stores_nothing(make_env) -> None:
    port = free_port()  # nothing listens here yet
    env = make_env(record_mail=False, smtp_host="127.0.0.1", smtp_port=port)
    with pytest.raises(MailError, match="could not send"):
        env.users.send_code("ada@example.org", "register")
    with pytest.raises(MailError):  # a registration that could not mail its code is not kept
        env.users.register(username="bob", email="bob@example.org", password=PASSWORD)
    assert env.store.find_user("bob") is None
    assert env.store.codes_sent_since("ada@example.org", "register", env.clock.now.replace(year=2000)) == []
    assert env.events("code.sent") == []

    with SmtpServer(port) as server:  # the server is back: a retry right away is not held by the resend wait
        env.users.send_code("ada@example.org", "register")
        env.users.register(username="bob", email="bob@example.org", password=PASSWORD)
        assert [e.rcpt_tos for e in server.collector.envelopes] == [["ada@example.org"], ["bob@example.org"]]
        assert env.store.find_user("bob").status is UserStatus.PENDING


def test_outbox_mailer_writes_an_eml_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "outbox"
    with caplog.at_level(logging.WARNING, logger="eonode.mail"):
        OutboxMailer(folder, sender=SENDER).send("ada+test@example.org", "Hello", "your code is 424242\n")
    [path] = folder.iterdir()
    assert path.suffix == ".eml" and "ada_test@example.org" in path.name
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert (message["From"], message["To"], message["Subject"]) == (SENDER, "ada+test@example.org", "Hello")
    assert message.get_content() == "your code is 424242\n"
    assert "424242" in caplog.text and str(path) in caplog.text


def test_without_smtp_the_code_lands_in_the_outbox(make_env, tmp_path: Path) -> None:
    env = make_env(record_mail=False, outbox_dir=tmp_path / "mail")
    assert isinstance(mailer_for(env.settings), OutboxMailer)
    env.users.send_code("ada@example.org", "register")
    [path] = (tmp_path / "mail").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    user = env.users.register(
        username="ada",
        email="ada@example.org",
        password=PASSWORD,
        code=code_in(message),
    )
    assert user.status is UserStatus.ACTIVE
