"""Sending email through a pluggable backend: console, file, memory or SMTP.

::

    mail = FileMailBackend("outbox")          # one .eml file per message
    await mail.send([EmailMessage("Hi", "Body", to=["a@example.com"])])

A backend is any object with ``async send(messages) -> int``. The console
and file backends are for development and tests; :class:`SMTPMailBackend`
sends for real (in a worker thread, so the event loop never blocks).
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.message
import email.utils
import os
import secrets
import smtplib
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, TextIO

__all__ = [
    "ConsoleMailBackend",
    "EmailMessage",
    "FileMailBackend",
    "MailBackend",
    "MemoryMailBackend",
    "SMTPMailBackend",
]


@dataclasses.dataclass
class EmailMessage:
    """One email: subject, plain-text body, recipients, optional HTML alternative."""

    subject: str
    body: str
    to: list[str]
    from_email: str = "webmaster@localhost"
    html: str | None = None

    def to_mime(self) -> email.message.EmailMessage:
        """The message as a MIME object (headers encoded, newlines in headers refused)."""
        message = email.message.EmailMessage()
        # SECURITY: email.message refuses CR/LF in header values, so a subject
        # built from user input cannot inject headers (RFC 5322 section 2.2).
        message["Subject"] = self.subject
        message["From"] = self.from_email
        message["To"] = ", ".join(self.to)
        message["Date"] = email.utils.formatdate(localtime=False)
        message["Message-ID"] = email.utils.make_msgid(domain="fastcore.local")
        message.set_content(self.body)
        if self.html is not None:
            message.add_alternative(self.html, subtype="html")
        return message


class MailBackend(Protocol):
    """Sends messages; returns how many were sent."""

    async def send(self, messages: Sequence[EmailMessage]) -> int:
        """Send every message."""
        ...


class ConsoleMailBackend:
    """Print each message to a stream (stdout by default): development."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    async def send(self, messages: Sequence[EmailMessage]) -> int:
        """Write the messages, separated by a line of dashes."""
        stream = self.stream or sys.stdout
        for message in messages:
            stream.write(message.to_mime().as_string())
            stream.write("\n" + "-" * 72 + "\n")
        stream.flush()
        return len(messages)


class FileMailBackend:
    """Write each message to its own ``.eml`` file in ``directory``: tests and staging."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    async def send(self, messages: Sequence[EmailMessage]) -> int:
        """Write the files (created with mode 0600: they may hold reset links)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for message in messages:
            name = f"{time.time_ns()}-{secrets.token_hex(4)}.eml"
            path = self.directory / name
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(message.to_mime().as_bytes())
        return len(messages)


class MemoryMailBackend:
    """Keep messages in :attr:`outbox`: unit tests."""

    def __init__(self) -> None:
        self.outbox: list[EmailMessage] = []

    async def send(self, messages: Sequence[EmailMessage]) -> int:
        """Append the messages to the outbox."""
        self.outbox.extend(messages)
        return len(messages)


class SMTPMailBackend:
    """Send through an SMTP server (STARTTLS when ``starttls``), in a worker thread.

    Args:
        host: The server.
        port: Its port.
        username: Login name (None: no login).
        password: Login password.
        starttls: Upgrade the connection with STARTTLS before logging in.
        timeout: Seconds for each network operation.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 25,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    def _send_blocking(self, messages: Sequence[EmailMessage]) -> int:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username is not None:
                smtp.login(self.username, self.password or "")
            for message in messages:
                smtp.send_message(message.to_mime())
        return len(messages)

    async def send(self, messages: Sequence[EmailMessage]) -> int:
        """Open one connection and send every message over it."""
        return await asyncio.to_thread(self._send_blocking, messages)
