"""Outgoing mail settings and the SMTP transport (standard library ``smtplib``).

Settings come from ``config.toml``'s ``[mail]`` table, ``DESKUI_SMTP_URL``
overriding its ``smtp_url``::

    [mail]
    smtp_url = "smtp+starttls://desk@mail.example.org:587"   # or smtps://...:465, smtp://host:25
    from_address = "Service Desk <servicedesk@example.org>"
    password_file = "~/.config/deskui/smtp-password"          # or DESKUI_SMTP_PASSWORD
    max_attempts = 8          # then the message is failed, with its reason
    retry_seconds = 60        # first retry after this; doubles each time, at most an hour
    lease_seconds = 600       # a claim older than this (a sender that died) is taken again
    ca_file = ""              # extra CA bundle for a server with a private certificate

The password is never in the URL, the config file or the database: it comes
from the environment or a file only.
"""

from __future__ import annotations

import email.utils
import os
import smtplib
import ssl
from dataclasses import dataclass
from datetime import timezone
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.text import MIMEText
from pathlib import Path
from urllib.parse import unquote, urlsplit

from deskui.errors import ValidationError
from deskui.store.outbox import OutboxRecord

SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}
PASSWORD_ENV = "DESKUI_SMTP_PASSWORD"
URL_ENV = "DESKUI_SMTP_URL"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # plain | starttls | tls
    username: str
    password: str
    from_address: str
    max_attempts: int = 8
    retry_seconds: float = 60.0
    lease_seconds: float = 600.0
    timeout: float = 30.0
    ca_file: str = ""


def _number(table: dict, key: str, default: float, low: float, high: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ValidationError(f"config.toml [mail] {key}: {value!r} is not a number from {low:g} to {high:g}")
    return float(value)


def smtp_settings(config: dict, environ: dict | None = None) -> SmtpSettings:
    """Settings from the config's ``[mail]`` table (``config`` is the whole file) and the environment."""
    environ = os.environ if environ is None else environ
    table = config.get("mail", {}) if isinstance(config.get("mail", {}), dict) else {}
    url = environ.get(URL_ENV) or table.get("smtp_url", "")
    where = URL_ENV if environ.get(URL_ENV) else "config.toml [mail] smtp_url"
    if not url:
        raise ValidationError("mail: no SMTP server: set smtp_url in config.toml [mail] or DESKUI_SMTP_URL "
                              "(smtp://, smtp+starttls:// or smtps://)")
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ValidationError(f"{where}: scheme {parts.scheme!r} is not one of {', '.join(SCHEMES)}")
    if parts.password:
        raise ValidationError(f"{where}: no password in the URL; use {PASSWORD_ENV} or [mail] password_file")
    if not parts.hostname:
        raise ValidationError(f"{where}: no host in {url!r}")
    security, default_port = SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise ValidationError(f"{where}: the port is not a number from 1 to 65535") from None
    from_address = str(table.get("from_address", "")).strip()
    if not from_address or "@" not in email.utils.parseaddr(from_address)[1]:
        raise ValidationError(f"config.toml [mail] from_address: {from_address!r} is not an address "
                              "(for example \"Service Desk <servicedesk@example.org>\")")
    password = environ.get(PASSWORD_ENV, "")
    if not password and table.get("password_file"):
        path = Path(str(table["password_file"])).expanduser()
        try:
            password = path.read_text(encoding="utf-8")[:4096].strip()
        except OSError as exc:
            raise ValidationError(f"config.toml [mail] password_file: {path}: {exc.strerror}") from None
    return SmtpSettings(
        host=parts.hostname, port=port, security=security, username=unquote(parts.username or ""),
        password=password, from_address=from_address,
        max_attempts=int(_number(table, "max_attempts", 8, 1, 100)),
        retry_seconds=_number(table, "retry_seconds", 60, 0, 86400),
        lease_seconds=_number(table, "lease_seconds", 600, 1, 86400),
        timeout=_number(table, "timeout_seconds", 30, 1, 600),
        ca_file=str(table.get("ca_file", "")),
    )


def _header_text(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


def build_message(row: OutboxRecord, from_address: str) -> Message:
    """The mail for an outbox row: plain text (UTF-8), its fixed Message-ID and thread
    headers. Built with the compat32 classes: about six times faster than EmailMessage,
    which matters to a sender working through a backlog."""
    name, address = email.utils.parseaddr(from_address)
    if not (row.to_address.isascii() and address.isascii()):
        # An international address: smtplib sends it with SMTPUTF8 only from an EmailMessage.
        msg = EmailMessage()
        msg.set_content(row.body)
        msg["From"] = from_address
    else:
        msg = MIMEText(row.body, "plain", "utf-8")
        msg["From"] = email.utils.formataddr((name, address), charset="utf-8")
    msg["To"] = row.to_address
    msg["Subject"] = _header_text(row.subject) if isinstance(msg, MIMEText) else row.subject
    msg["Date"] = email.utils.format_datetime(row.created_at.replace(tzinfo=timezone.utc))
    msg["Message-ID"] = row.message_id
    if row.in_reply_to:
        msg["In-Reply-To"] = row.in_reply_to
    if row.thread_refs:
        msg["References"] = row.thread_refs
    # Loop protection: our intake ignores its own mail, auto-responders stay quiet (RFC 3834).
    msg["X-Deskui-Ticket"] = str(row.ticket_id)
    if row.kind != "reply":
        msg["Auto-Submitted"] = "auto-generated"
    return msg


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): no retry helps."""


class Unreachable(Exception):
    """The server cannot be reached or refused us as a whole: nothing was tried."""


class SmtpTransport:
    """One SMTP connection, opened on first use and reused for a pass."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.client: smtplib.SMTP | None = None

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.settings.ca_file or None)

    def connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.security == "tls":
                client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=self._context())
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    client.starttls(context=self._context())
            if s.username:
                client.login(s.username, s.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise Unreachable(f"SMTP login as {s.username} refused: {exc.smtp_code}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise Unreachable(f"SMTP server {s.host}:{s.port}: {exc}") from None
        return client

    def send(self, row: OutboxRecord) -> None:
        if self.client is None:
            self.client = self.connect()
        msg = build_message(row, self.settings.from_address)
        try:
            refused = self.client.send_message(msg)
        except smtplib.SMTPNotSupportedError as exc:  # a non-ASCII address, and no SMTPUTF8 on the server
            raise PermanentFailure(str(exc)) from None
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            error = f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
            raise (PermanentFailure(error) if code >= 500 else RuntimeError(error)) from None
        except smtplib.SMTPResponseException as exc:
            error = f"{exc.smtp_code} {exc.smtp_error.decode(errors='replace') if isinstance(exc.smtp_error, bytes) else exc.smtp_error}"
            if exc.smtp_code >= 500:
                raise PermanentFailure(error) from None
            raise RuntimeError(error) from None
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self.close()
            raise Unreachable(f"SMTP server {self.settings.host}:{self.settings.port}: {exc}") from None
        if refused:
            raise PermanentFailure(f"refused: {refused}")

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.client = None
