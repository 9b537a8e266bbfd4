"""``deskui intake imap URL``: take new mail from a real mailbox (standard library ``imaplib``).

URL: ``imaps://user@host[:993]`` (TLS), ``imap+starttls://user@host[:143]``, or
``imap://user@host[:143]`` (no encryption: for a server on this machine only).
The password comes from ``DESKUI_IMAP_PASSWORD`` or ``--password-file``, never
from the URL.

Messages are read by UID, oldest first, without marking them read
(``BODY.PEEK[]``). Each is taken exactly as ``deskui intake email`` takes a file
(:func:`deskui.services.intake.email.take`: one transaction each), with the
server's arrival time (INTERNALDATE, never later than now) as its time of
receipt. Once its transaction has committed the message is flagged
``$DeskuiTaken`` and ``\\Seen`` -- and moved to ``--move-to`` when given -- so the
next run does not see it. A crash between the commit and the flag leaves it
unflagged: the next run reads it again, finds its Message-ID taken (counted as
``duplicate``) and flags it then. Nothing is taken twice.
"""

from __future__ import annotations

import imaplib
import os
import re
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from sqlalchemy.engine import Engine

from deskui import clock
from deskui.errors import ValidationError
from deskui.services.files import MESSAGE_LIMIT
from deskui.services.intake.email import IntakeSummary, MailOptions, count_outcome, desk_addresses, take
from deskui.services.intake.runner import take_each

TAKEN = "$DeskuiTaken"
PASSWORD_ENV = "DESKUI_IMAP_PASSWORD"
SCHEMES = {"imap": ("plain", 143), "imap+starttls": ("starttls", 143), "imaps": ("tls", 993)}
BATCH = 50


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    security: str
    username: str
    password: str
    ca_file: str = ""
    timeout: float = 30.0

    @property
    def label(self) -> str:
        return f"imap://{self.username}@{self.host}:{self.port}"


def imap_account(url: str, *, password_file: Path | None = None, environ: dict | None = None,
                 ca_file: str = "") -> ImapAccount:
    environ = os.environ if environ is None else environ
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ValidationError(f"URL: scheme {parts.scheme!r} is not one of {', '.join(SCHEMES)}")
    if parts.password:
        raise ValidationError(f"URL: no password in the URL; use {PASSWORD_ENV} or --password-file")
    if not parts.hostname or not parts.username:
        raise ValidationError(f"URL: {url!r} needs a user and a host (imaps://user@host)")
    security, default_port = SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError:
        raise ValidationError("URL: the port is not a number from 1 to 65535") from None
    password = environ.get(PASSWORD_ENV, "")
    if password_file is not None:
        try:
            password = Path(password_file).expanduser().read_text(encoding="utf-8")[:4096].strip()
        except OSError as exc:
            raise ValidationError(f"--password-file: {password_file}: {exc.strerror}") from None
    if not password:
        raise ValidationError(f"no IMAP password: set {PASSWORD_ENV} or --password-file")
    return ImapAccount(parts.hostname, port, security, unquote(parts.username), password, ca_file)


def connect(account: ImapAccount) -> imaplib.IMAP4:
    context = ssl.create_default_context(cafile=account.ca_file or None)
    try:
        if account.security == "tls":
            client = imaplib.IMAP4_SSL(account.host, account.port, ssl_context=context, timeout=account.timeout)
        else:
            client = imaplib.IMAP4(account.host, account.port, timeout=account.timeout)
            if account.security == "starttls":
                client.starttls(ssl_context=context)
        client.login(account.username, account.password)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ValidationError(f"{account.label}: {exc}") from None
    return client


def _check(response, what: str):
    status, data = response
    if status != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")
        raise ValidationError(f"IMAP {what}: {status} {detail}".strip())
    return data


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


_INTERNALDATE = re.compile(rb'INTERNALDATE "[^"]+"')


def _received(meta: bytes, now: datetime) -> datetime:
    """The server's arrival time (never later than now)."""
    found = _INTERNALDATE.search(meta)
    parsed = imaplib.Internaldate2tuple(found.group(0)) if found else None
    if parsed is None:
        return now
    at = datetime.fromtimestamp(time.mktime(parsed), tz=timezone.utc).replace(tzinfo=None, microsecond=0)
    return min(at, now)


def _ensure_folder(client: imaplib.IMAP4, folder: str) -> None:
    status, data = client.create(_quote(folder))  # NO when it exists already
    if status != "OK" and not [d for d in _check(client.list('""', _quote(folder)), "list") if d]:
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")
        raise ValidationError(f"--move-to {folder}: the server cannot create it: {detail}")


def intake_imap(engine: Engine, account: ImapAccount, options: MailOptions = MailOptions(), *,
                folder: str = "INBOX", move_to: str | None = None,
                progress: Callable[[IntakeSummary], None] | None = None) -> IntakeSummary:
    summary = IntakeSummary(source=f"{account.label}/{folder}", dry_run=options.dry_run)
    timer = time.perf_counter()
    desk = desk_addresses(engine, options)
    client = connect(account)
    try:
        _check(client.select(_quote(folder), readonly=options.dry_run), f"select {folder}")
        if move_to and not options.dry_run:
            _ensure_folder(client, move_to)
        can_move = b"MOVE" in _check(client.capability(), "capability")[0].upper().split()
        [found] = _check(client.uid("SEARCH", None, "UNKEYWORD", TAKEN), "search")
        uids = [int(u) for u in found.split()]
        for start in range(0, len(uids), BATCH):
            for uid in uids[start:start + BATCH]:
                _take_one(engine, client, uid, summary, options, desk, move_to, can_move)
                if progress:
                    progress(summary)
        if move_to and not can_move and not options.dry_run:
            client.expunge()
    finally:
        try:
            client.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    summary.seconds = time.perf_counter() - timer
    return summary


def _take_one(engine: Engine, client: imaplib.IMAP4, uid: int, summary: IntakeSummary, options: MailOptions,
              desk: frozenset[str], move_to: str | None, can_move: bool) -> None:
    data = _check(client.uid("FETCH", str(uid), "(RFC822.SIZE INTERNALDATE BODY.PEEK[])"), f"fetch {uid}")
    parts = [d for d in data if isinstance(d, tuple)]
    where = f"{summary.source};UID={uid}"
    if not parts:
        return  # gone meanwhile (another intake moved it)
    meta, raw = parts[0]
    now = clock.now()
    received = _received(meta, now)
    outcomes: list[tuple[str, ...]] = []
    if len(raw) > MESSAGE_LIMIT:
        outcomes.append(("error", f"{where}: {len(raw)} bytes is over the limit of {MESSAGE_LIMIT} for a message"))
    else:
        take_each(engine, [(where, raw)], lambda session, m: take(session, m[0], m[1], options, desk, received),
                  outcomes.append, dry_run=options.dry_run)
    count_outcome(summary, outcomes[0])
    if options.dry_run:
        return
    _check(client.uid("STORE", str(uid), "+FLAGS.SILENT", f"({TAKEN} \\Seen)"), f"flag {uid}")
    if move_to and can_move:
        _check(client.uid("MOVE", str(uid), _quote(move_to)), f"move {uid} to {move_to}")
    elif move_to:
        _check(client.uid("COPY", str(uid), _quote(move_to)), f"copy {uid} to {move_to}")
        _check(client.uid("STORE", str(uid), "+FLAGS.SILENT", "(\\Deleted)"), f"delete {uid}")

