"""``deskui mail config``: the desk's mail settings, kept in the database so every
analyst's app and every sender agree (which changes notify, the Message-ID
domain, the share of resolutions asked for a score)."""

from __future__ import annotations

import json
import re

from sqlalchemy import update
from sqlalchemy.engine import Engine

from deskui.domain import mail as m
from deskui.errors import ValidationError
from deskui.services.mail.notify import CSAT_SETTING, DOMAIN_SETTING, NOTIFY_SETTING, desk_settings
from deskui.store.db import run_write, session_scope
from deskui.store.models import Setting
from deskui.store.upsert import insert_ignore

_DOMAIN = re.compile(r"^(?=.{1,200}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


def parse_kinds(text: str) -> list[str]:
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    if text.strip().lower() == "none":
        return []
    unknown = [k for k in kinds if k not in m.KINDS]
    if unknown:
        raise ValidationError(f"notify: {unknown[0]!r} is not one of {', '.join(m.KINDS)} (or none)")
    return [k for k in m.KINDS if k in kinds]


def configure(engine: Engine, *, notify: str | None = None, domain: str | None = None,
              csat_share: float | None = None) -> dict:
    """Change the given settings (one transaction); returns them all."""
    values: dict[str, str] = {}
    if notify is not None:
        values[NOTIFY_SETTING] = json.dumps(parse_kinds(notify))
    if domain is not None:
        if not _DOMAIN.match(domain):
            raise ValidationError(f"domain: {domain!r} is not a domain name (for example desk.example.org)")
        values[DOMAIN_SETTING] = domain.lower()
    if csat_share is not None:
        if not 0 <= csat_share <= 1:
            raise ValidationError(f"csat-share: {csat_share!r} is not a share from 0 to 1")
        values[CSAT_SETTING] = repr(float(csat_share))

    def work(session):
        for key, value in values.items():
            if not insert_ignore(session, Setting.__table__, ["key"], key=key, value=value):
                session.execute(update(Setting).where(Setting.key == key).values(value=value))
        return current_in(session)

    return run_write(engine, work)


def current_in(session) -> dict:
    found = desk_settings(session)
    return {"notify": [k for k in m.KINDS if k in found["notify"]], "domain": found["domain"],
            "csat_share": found["csat_share"]}


def current(engine: Engine) -> dict:
    with session_scope(engine) as session:
        return current_in(session)
