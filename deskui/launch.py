"""Opening the app, and the one line a user sees for deskui's own errors:
shared by the bare launch (deskui.start) and the command line (deskui.cli),
below both so neither imports the other."""

from __future__ import annotations


def launch(db: str | None, user: str | None) -> None:
    """Open the app on ``db`` as ``user`` (None: the environment, the config, the defaults)."""
    from deskui.config import load_settings
    from deskui.services.actors import resolve_actor
    from deskui.store.db import check_schema, make_engine

    settings = load_settings(db, user)
    engine = make_engine(settings.db_url)
    check_schema(engine)
    actor = resolve_actor(engine, settings.user, declared=settings.user_declared)
    if not actor.is_analyst:  # bootstrapping (no admin yet) is for the admin commands, not the app
        from deskui.errors import NotFound

        raise NotFound(f"analyst {actor.username!r} not found: the app needs an analyst; add one first "
                       f"(deskui analyst add {actor.username} --name NAME --email EMAIL --role admin, "
                       "or deskui seed analysts FILE)")
    from deskui.tui.app import run_app  # textual is imported only here

    run_app(engine=engine, actor=actor, settings=settings)


def launch_wallboard(db: str | None) -> None:
    """The read-only wallboard alone (what `deskui serve --wallboard` runs per browser session)."""
    from deskui.config import load_settings
    from deskui.store.db import check_schema, make_engine

    settings = load_settings(db, None)
    engine = make_engine(settings.db_url)
    check_schema(engine)
    from deskui.tui.context import DeskContext
    from deskui.tui.wallboard_app import WALL_VIEWER, WallboardApp

    WallboardApp(DeskContext(engine=engine, actor=WALL_VIEWER, settings=settings)).run()


def user_error_message(exc: BaseException) -> str | None:
    """The one line to show for deskui's own errors and an unusable database;
    None for a bug (its traceback is worth seeing)."""
    from deskui.domain.query import QueryError
    from deskui.domain.workflow import WorkflowError
    from deskui.errors import DeskError

    if isinstance(exc, (DeskError, WorkflowError, QueryError)):
        return str(exc)
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, OperationalError):
        return f"database error: {str(exc.orig).splitlines()[0]}"
    return None
