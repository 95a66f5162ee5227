"""Sending e-mail: an SMTP server when one is configured, else an outbox folder plus the log.

The outbox keeps every message as an ``.eml`` file so a node without SMTP (the demo, a test
machine) still lets a person read the verification code.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol

from eonode.errors import MailError
from eonode.settings import Settings

log = logging.getLogger("eonode.mail")


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None:
        """Deliver one plain-text message or raise MailError."""


def compose(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    msg["Message-ID"] = make_msgid(domain="eonode")
    msg.set_content(body)
    return msg


class SmtpMailer:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        security: str = "none",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 20.0,
    ) -> None:
        self.host, self.port, self.sender, self.security = host, port, sender, security
        self.username, self.password, self.timeout = username, password, timeout

    def send(self, to: str, subject: str, body: str) -> None:
        msg = compose(self.sender, to, subject, body)
        try:
            if self.security == "ssl":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.username:
                    client.login(self.username, self.password or "")
                client.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            log.error("mail to %s failed: %s", to, exc)
            raise MailError(f"the node could not send the e-mail to {to}; try again later") from None
        log.info("mail to %s sent: %s", to, subject)


class OutboxMailer:
    """Writes each message to ``folder`` (atomically) and logs it, codes included."""

    def __init__(self, folder: Path, *, sender: str) -> None:
        self.folder, self.sender = folder, sender

    def send(self, to: str, subject: str, body: str) -> None:
        msg = compose(self.sender, to, subject, body)
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        safe_to = "".join(c if c.isalnum() or c in "@.-_" else "_" for c in to)
        path = self.folder / f"{stamp}-{safe_to}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(bytes(msg))
        os.replace(tmp, path)
        log.warning("no SMTP server is configured; mail to %s kept in %s:\n%s\n%s", to, path, subject, body)


def mailer_for(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(
            settings.smtp_host,
            settings.smtp_port,
            sender=settings.mail_from,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        )
    return OutboxMailer(settings.effective_outbox_dir, sender=settings.mail_from)
