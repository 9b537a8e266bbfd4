"""Admin commands: init, demo, db, seed, sla."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Optional

import typer

from deskui.cli import common


def register(app: typer.Typer, make: Callable[..., typer.Typer]) -> None:
    app.command("init")(init)
    app.command("demo")(demo)

    db_app = make(help="Database schema: upgrade and inspect; PostgreSQL group roles and privileges.")
    db_app.command("upgrade")(db_upgrade)
    db_app.command("current")(db_current)
    db_app.command("grant")(db_grant)
    app.add_typer(db_app, name="db")

    seed_app = make(help="Seed the desk from TOML files; groups, categories, analysts, calendar, sla and canned "
                         "also from CSV files (.csv, the keys as columns, lists separated by ';'). Idempotent; "
                         "a bad file changes nothing.")
    for kind in ("groups", "categories", "analysts", "calendar", "sla", "canned"):
        seed_app.command(kind, help=f"Upsert {kind} from a TOML or CSV file.")(_seed_command(kind))
    seed_app.command("demo", help="Seed the whole demo organisation from sample_data/.")(seed_demo)
    app.add_typer(seed_app, name="seed")

    sla_app = make(help="SLA: explain a ticket's clock, sweep states and breaches.")
    sla_app.command("explain")(sla_explain)
    sla_app.command("sweep")(sla_sweep)
    app.add_typer(sla_app, name="sla")


def _out(message: str) -> None:
    typer.echo(message)


def init(
    demo_data: bool = typer.Option(False, "--demo", help="Also load the demo organisation and ~2,000 tickets."),
    tickets: int = typer.Option(2000, "--tickets", help="With --demo: how many demo tickets."),
) -> None:
    """Create (or upgrade) the database schema; with --demo load the demo organisation.
    Upgrading an existing schema and loading the demo need an admin (or no admin yet)."""
    from deskui.store.db import check_connect, upgrade

    engine = common.get_engine(check=False)
    check_connect(engine)
    _require_schema_change(engine)
    upgrade(engine)
    _out(f"database ready: {engine.url.render_as_string(hide_password=True)}")
    if demo_data:
        load_demo(engine, tickets, actor=common.get_actor())


def _require_schema_change(engine, revision: str = "head") -> None:
    """Migrating a database that has a schema is an admin's; creating one is anyone's."""
    from deskui.domain.permissions import Action
    from deskui.services.actors import require
    from deskui.store.db import current_revision, head_revision

    current = current_revision(engine)
    if current is not None and current != (head_revision() if revision == "head" else revision):
        require(common.get_actor(check=False), Action.SCHEMA)


def load_demo(engine, tickets: int = 2000, actor=None) -> None:
    """Seed the demo organisation, articles and history, once."""
    from deskui.services.actors import SYSTEM
    from deskui.services.demo import load_demo as load

    load(engine, tickets, say=_out, actor=actor or SYSTEM)


def demo() -> None:
    """Create (or open) the demo database and launch the app on it as `demo`."""
    from deskui.config import demo_db_url
    from deskui.store.db import current_revision, head_revision, make_engine, upgrade

    if not common.State.db:
        import os

        common.State.db = os.environ.get("DESKUI_DB") or demo_db_url()
    common.State.user = common.State.user or "demo"
    common.State._settings = None
    engine = make_engine(common.settings().db_url)
    if current_revision(engine) != head_revision():
        upgrade(engine)
        load_demo(engine)
    common.State._engine = engine
    from deskui.launch import launch

    launch(common.State.db, common.State.user)


def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from deskui.store.db import check_connect, current_revision, upgrade

    engine = common.get_engine(check=False)
    check_connect(engine)
    _require_schema_change(engine, revision)
    upgrade(engine, revision)
    _out(f"schema at {current_revision(engine)}")


def db_current() -> None:
    """Print the schema revision of the database and the one this deskui needs."""
    from deskui.store.db import check_connect, current_revision, head_revision

    engine = common.get_engine(check=False)
    check_connect(engine)
    _out(f"database: {current_revision(engine) or 'none'}\ncode:     {head_revision()}")


def db_grant() -> None:
    """PostgreSQL: create the group roles deskui_viewer, deskui_analyst, deskui_lead and
    deskui_admin and set their table privileges (idempotent; run it as the tables' owner)."""
    from deskui.services.db_roles import grant_roles
    from deskui.store.db import check_schema, is_sqlite

    engine = common.get_engine(check=False)
    if not is_sqlite(engine):
        check_schema(engine)
    summary = grant_roles(engine)
    for line in summary.changes:
        _out(line)
    for table in summary.unclassified:
        typer.echo(f"deskui: warning: {table} is not classified in deskui's role table: no privileges granted",
                   err=True)
    if summary.changed:
        _out(f"{len(summary.changes)} change{'s' if len(summary.changes) != 1 else ''}; "
             "add logins with `deskui analyst add USER ... --login`")
    else:
        _out("nothing to change: the deskui group roles and their privileges are already in place")


def _seed_command(kind: str):
    def command(file: Path = typer.Argument(..., help="TOML file, or CSV (.csv) with the keys as columns")) -> None:
        from deskui.services.seed import seed_file

        summary = seed_file(common.get_engine(), kind, file, actor=common.get_actor())
        _out(f"{kind}: {summary.created} created, {summary.updated} updated, {summary.unchanged} unchanged")

    command.__name__ = f"seed_{kind}"
    return command


def seed_demo(folder: Optional[Path] = typer.Argument(None, help="Folder (default: the shipped sample_data)")) -> None:
    from deskui.resources import sample_data_dir
    from deskui.services.seed import seed_demo_org

    for summary in seed_demo_org(common.get_engine(), folder or sample_data_dir(), actor=common.get_actor()):
        _out(f"{summary.kind}: {summary.created} created, {summary.updated} updated, {summary.unchanged} unchanged")


def sla_explain(ticket: int = common.ticket_argument()) -> None:
    """Explain a ticket's SLA clock step by step."""
    from deskui.services.sla import explain_ticket

    _status, lines = explain_ticket(common.get_engine(), ticket)
    for line in lines:
        _out(line)


def sla_sweep() -> None:
    """Refresh SLA states of active tickets and record new breaches (for cron)."""
    from deskui.services.sweep import sweep

    result = sweep(common.get_engine())
    _out(f"checked {result.checked}, changed {result.changed}, new breaches {result.breaches}")
