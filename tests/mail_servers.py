"""Real mail servers on loopback for the mail tests (DESIGN.md §8: no mocks):
an aiosmtpd SMTP server that keeps what it receives, and Dovecot for IMAP."""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from typing import Iterator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler: keeps each accepted message; ``refuse`` makes RCPT answer that code."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(port: int | None = None, **kwargs) -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = port or free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


# ---------------------------------------------------------------- IMAP: Dovecot, unprivileged, throw-away

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
_DOVECOT_CONF = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = /dev/stderr
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_login_user = {user}
default_internal_user = {user}
default_internal_group = {group}
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


class Dovecot:
    """A Dovecot IMAP server on a free loopback port, run as an unprivileged user
    (``nobody`` when the tests run as root: its login processes refuse root)."""

    ACCOUNTS = 20

    def __init__(self) -> None:
        import grp
        import pwd

        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="deskui-dovecot-")
        self.user = pwd.getpwuid(os.getuid()).pw_name if os.getuid() else "nobody"
        entry = pwd.getpwnam(self.user)
        self.group = grp.getgrgid(entry.pw_gid).gr_name
        for sub in ("run", "state", "home"):
            os.makedirs(os.path.join(self.dir, sub))
        # Accounts are made up front: Dovecot may not see a passwd-file changed within the same second.
        with open(os.path.join(self.dir, "users"), "w") as fh:
            fh.writelines(f"desk{n}:{{PLAIN}}s3cret\n" for n in range(1, self.ACCOUNTS + 1))
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as fh:
            fh.write(_DOVECOT_CONF.format(d=self.dir, user=self.user, group=self.group, uid=entry.pw_uid,
                                          gid=entry.pw_gid, port=self.port))
        if os.getuid() == 0:
            os.chmod(self.dir, 0o755)
            for root, dirs, files in os.walk(self.dir):
                for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
                    os.chown(name, entry.pw_uid, entry.pw_gid)
        # In the foreground, logging to our pipe: its "starting up" line comes after the
        # listeners are bound, so the server is ready when it is read (no polling).
        prefix = ["runuser", "-u", self.user, "--"] if os.getuid() == 0 else []
        self.process = subprocess.Popen(prefix + [DOVECOT, "-F", "-c", self.conf], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.lines: list[str] = []
        for raw in self.process.stderr:
            self.lines.append(raw.decode(errors="replace"))
            if "starting up" in self.lines[-1]:
                break
        else:
            raise RuntimeError(f"dovecot did not start: {self.log()}")
        # Keep reading its log, so a full pipe never blocks the server.
        threading.Thread(target=lambda: self.lines.extend(r.decode(errors="replace") for r in self.process.stderr),
                         daemon=True).start()
        self._count = 0

    def _run(self, *argv: str) -> None:
        prefix = ["runuser", "-u", self.user, "--"] if os.getuid() == 0 else []
        # The daemon keeps whatever it inherits open: hand it no pipes to wait on.
        subprocess.run(prefix + list(argv), check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=30)

    def log(self) -> str:
        return "".join(self.lines)[-2000:]

    def new_account(self) -> str:
        """A fresh mailbox user, password ``s3cret`` (tests share one server, never a mailbox)."""
        self._count += 1
        assert self._count <= self.ACCOUNTS, "raise Dovecot.ACCOUNTS"
        return f"desk{self._count}"

    def append(self, user: str, raw: bytes, password: str = "s3cret", folder: str = "INBOX",
               date: str | None = None) -> None:
        import imaplib

        client = imaplib.IMAP4("127.0.0.1", self.port)
        client.login(user, password)
        client.append(folder, None, date, raw)
        client.logout()

    def stop(self) -> None:
        try:
            self._run(DOVECOT, "-c", self.conf, "stop")
            self.process.wait(timeout=30)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
