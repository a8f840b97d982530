"""`moisson users ...`."""

from __future__ import annotations

import typer

from moisson.cli.state import state_of
from moisson.errors import MoissonError
from moisson.services.users import create_user
from moisson.storage.session import unit_of_work

app = typer.Typer(help="User accounts and API keys.", no_args_is_help=True)


@app.command()
def create(
    ctx: typer.Context,
    email: str = typer.Argument(..., help="E-mail address of the new user."),
    admin: bool = typer.Option(False, "--admin", help="Make the user a sysadmin."),
) -> None:
    """Create a user; its API key is printed as the last line (shown only once)."""
    state = state_of(ctx)
    try:
        with unit_of_work(state.sessions()) as session:
            created = create_user(session, state.settings, email, sysadmin=admin)
            user_id = created.user.id
    except MoissonError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    role = "sysadmin" if admin else "user"
    typer.echo(f"Created {role} {email} ({user_id}). API key:")
    typer.echo(created.api_key)
