"""`deskui analyst list|add|set-role|disable`: the desk's analysts and their roles
(admins only; deskui/services/analysts.py)."""

from __future__ import annotations

from typing import List, Optional

import typer

from deskui.cli import common
from deskui.cli.ops_output import FormatOpt, out

COLUMNS = ("username", "name", "role", "groups", "active")
SQLITE_LOGIN = "--login needs PostgreSQL: on SQLite the file's permissions are the boundary"


def _row(a) -> dict:
    return {"username": a.username, "name": a.name, "email": a.email, "role": a.role, "tier": a.tier,
            "groups": ", ".join(a.groups), "active": "yes" if a.active else "no"}


def _postgres(engine) -> bool:
    return engine.dialect.name == "postgresql"


def _move_login(engine, analyst, enabled: bool) -> str:
    """PostgreSQL: the analyst's LOGIN role follows (its group role, or NOLOGIN); an
    analyst without one has nothing to move. SQLite has no logins."""
    if not _postgres(engine):
        return ""
    from deskui.errors import NotFound
    from deskui.services.db_roles import sync_login_role

    try:
        sync_login_role(engine, analyst.username, analyst.role, enabled=enabled, create=False)
    except NotFound:
        return " (no database login to move)"
    return " (database login moved)" if enabled else " (database login disabled)"


def analyst_list(fmt: str = FormatOpt) -> None:
    """Every analyst: username, name, role, groups, active (admins)."""
    from deskui.domain.permissions import Action
    from deskui.reads.directory import analysts
    from deskui.services.actors import require

    require(common.get_actor(), Action.ANALYSTS)
    rows = [_row(a) for a in analysts(common.get_engine())]
    common.emit(rows, fmt, COLUMNS if fmt == "table" else ("username", "name", "email", "role", "tier", "groups",
                                                           "active"))


def analyst_add(
    username: str = typer.Argument(..., help="Login name (lowercase letters, digits, . _ -)"),
    name: str = typer.Option(..., "--name", help="Full name"),
    email: str = typer.Option(..., "--email", help="E-mail address"),
    role: str = typer.Option("analyst", "--role", help="viewer, analyst, lead or admin"),
    group: Optional[List[str]] = typer.Option(None, "--group", help="A group to join (repeatable)"),
    tier: int = typer.Option(1, "--tier", help="1-3 (at least the tier of each group)"),
    login: bool = typer.Option(False, "--login", help="PostgreSQL: also create a LOGIN role of the same name"),
) -> None:
    """Add an analyst (admins)."""
    from deskui.services.analysts import add_analyst

    engine = common.get_engine()
    if login and not _postgres(engine):
        common.fail(SQLITE_LOGIN)
    added = add_analyst(engine, common.get_actor(), username, name=name, email=email, role=role,
                        groups=group or (), tier=tier)
    if login:
        from deskui.services.db_roles import sync_login_role

        sync_login_role(engine, added.username, added.role, enabled=True, create=True)
    out(f"analyst {added.username} added: {added.role}" + (f", groups {', '.join(added.groups)}" if added.groups else "")
        + (" (with a database login)" if login else ""))


def analyst_set_role(
    username: str = typer.Argument(..., help="The analyst"),
    role: str = typer.Argument(..., help="viewer, analyst, lead or admin"),
) -> None:
    """Change an analyst's role (admins). On PostgreSQL their login role moves too."""
    from deskui.services.analysts import set_role

    engine = common.get_engine()
    changed = set_role(engine, common.get_actor(), username, role)
    out(f"analyst {changed.username} is now {changed.role}" + _move_login(engine, changed, changed.active))


def analyst_disable(username: str = typer.Argument(..., help="The analyst")) -> None:
    """Disable an analyst (admins): their history stays, they can no longer act."""
    from deskui.services.analysts import disable

    engine = common.get_engine()
    changed = disable(engine, common.get_actor(), username)
    out(f"analyst {changed.username} disabled (history kept)" + _move_login(engine, changed, False))


def register(app: typer.Typer, make) -> None:
    analyst_app = make(help="Analysts and their roles (admins): list, add, set-role, disable.")
    analyst_app.command("list")(analyst_list)
    analyst_app.command("add")(analyst_add)
    analyst_app.command("set-role")(analyst_set_role)
    analyst_app.command("disable")(analyst_disable)
    from deskui.cli import analyst_tokens  # `analyst token`: sign-in tokens for `deskui serve`

    analyst_tokens.register(analyst_app)
    app.add_typer(analyst_app, name="analyst")
