"""The `deskui` command. Launches the app; subcommands administer the desk.

Importing this module must stay cheap: no textual, no engine, no file reads.
Every user mistake surfaces as one line on stderr and exit 1 (usage errors: 2).
"""

from __future__ import annotations

from typing import Optional

import typer
from typer.core import TyperGroup

from deskui.cli import common


def user_error(message: str) -> typer.Exit:
    """Print one line on stderr (no box, no traceback) and exit 1."""
    typer.echo(f"deskui: error: {message}", err=True)
    return typer.Exit(1)


def as_user_error(exc: Exception) -> typer.Exit | None:
    """deskui's own errors (and a database that cannot be used) as one line and exit 1."""
    from deskui.launch import user_error_message

    message = user_error_message(exc)
    return None if message is None else user_error(message)


class DeskGroup(TyperGroup):
    """Turns deskui's own errors into one-line click errors for every subcommand."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            exit_ = as_user_error(exc)
            if exit_ is not None:
                raise exit_ from None
            raise


def _typer(**kwargs) -> typer.Typer:
    return typer.Typer(cls=DeskGroup, rich_markup_mode=None, pretty_exceptions_enable=False,
                       no_args_is_help=False, **kwargs)


app = _typer(help="deskui: a keyboard-first IT service desk for the terminal.", invoke_without_command=True)


@app.callback()
def root(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(None, "--db", envvar="DESKUI_DB", help="Database URL or SQLite path."),
    as_user: Optional[str] = typer.Option(None, "--as", envvar="DESKUI_USER", help="Act as this analyst."),
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    """Run without a command to launch the app."""
    common.reset_state()
    common.State.db = db
    common.State.user = as_user
    if version:
        from deskui import __version__

        typer.echo(f"deskui {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        launch_app()


def launch_app() -> None:
    from deskui.launch import launch

    launch(common.State.db, common.State.user)


def _register() -> None:
    from deskui.cli import admin, generate, importers, intake, kb, problems, report, serve, tickets

    admin.register(app, _typer)
    tickets.register(app, _typer)
    for module, name in ((kb, "kb"), (report, None), (importers, "import"), (intake, "intake"),
                         (problems, "problem"), (serve, None)):
        _mount(module, name)
    app.command("generate", help="Generate a realistic synthetic ticket history.")(generate.generate)
    from deskui.cli import analyst_tokens  # until issue 12's `analyst` group: a temporary one
    analyst_tokens.register(_analyst := _typer(help="Analysts: sign-in tokens."))
    app.add_typer(_analyst, name="analyst")


def _mount(module, name: str | None) -> None:
    """Mount a command module: it exposes ``register(app, make)`` or a sub-app ``app``."""
    if hasattr(module, "register"):
        module.register(app, _typer)
    elif hasattr(module, "app") and name:
        module.app.info.cls = DeskGroup
        app.add_typer(module.app, name=name)


_register()


def main() -> None:
    app(prog_name="deskui")
