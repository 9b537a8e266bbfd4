"""The `deskui` command. Launches the app; subcommands administer the desk.

Importing this module must stay cheap: no textual, no engine, no file reads.

Exit status, one rule for every command (README "Admin commands"): a usage error
exits 2 -- the command line itself is wrong: an unknown command or option, a
missing argument, or a value an option or argument does not take (checked by
the parser, by an option's callback, or raised as ``deskui.errors.UsageError``);
it shows the command's usage line. Anything else deskui refuses (a ticket that
does not exist, a step the workflow forbids, a bad line in a file) is one line
on stderr and exits 1.
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
            from deskui.errors import UsageError

            if isinstance(exc, UsageError):
                raise self._usage_error(ctx, exc) from None
            exit_ = as_user_error(exc)
            if exit_ is not None:
                raise exit_ from None
            raise

    def _usage_error(self, ctx, exc) -> typer.BadParameter:
        """The usage error of the subcommand that raised ``exc``, as the parser shows
        its own (usage line, then "Invalid value for OPTION: ..."; exit 2)."""
        name = ctx.invoked_subcommand
        command = self.get_command(ctx, name) if name else None
        sub_ctx = command.make_context(name, [], parent=ctx, resilient_parsing=True) if command else ctx
        return typer.BadParameter(exc.detail, ctx=sub_ctx, param_hint=f"'{exc.option}'")


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
    from deskui.cli import admin, analysts, generate, importers, intake, kb, mail, problems, report, serve, tickets

    admin.register(app, _typer)
    tickets.register(app, _typer)
    for module, name in ((kb, "kb"), (report, None), (importers, "import"), (intake, "intake"),
                         (mail, "mail"), (problems, "problem"), (analysts, None), (serve, None)):
        _mount(module, name)
    app.command("generate", help="Generate a realistic synthetic ticket history.")(generate.generate)


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
