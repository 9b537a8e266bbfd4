"""`deskui analyst token USER [--revoke]` and `deskui analyst revoke-token USER`: personal
sign-in tokens for `deskui serve` beyond loopback (issue 14.1). The token is printed
once; only its scrypt hash is stored. The integrator attaches register() to the
`analyst` group of deskui/cli/analysts.py (issue 12)."""

from __future__ import annotations

import typer

from deskui.cli import common


def register(analyst_app: typer.Typer) -> None:
    analyst_app.command("token")(token)
    analyst_app.command("revoke-token")(revoke_token)


def token(
    username: str = typer.Argument(..., metavar="USER"),
    revoke: bool = typer.Option(False, "--revoke", help="Revoke USER's token instead."),
) -> None:
    """Make a personal sign-in token for USER (printed once; replaces an earlier one)."""
    from deskui.services import tokens

    engine, actor = common.get_engine(), common.get_actor()
    if revoke:
        _revoked(tokens.revoke_token(engine, actor, username), username)
        return
    secret = tokens.issue_token(engine, actor, username)
    typer.echo(secret)
    typer.echo(f"sign-in token for {username}: shown once, stored only as a hash; "
               f"revoke with `deskui analyst revoke-token {username}`", err=True)


def revoke_token(username: str = typer.Argument(..., metavar="USER")) -> None:
    """Revoke USER's sign-in token."""
    from deskui.services import tokens

    _revoked(tokens.revoke_token(common.get_engine(), common.get_actor(), username), username)


def _revoked(done: bool, username: str) -> None:
    typer.echo(f"revoked the sign-in token of {username}" if done else f"{username} has no token in force")
