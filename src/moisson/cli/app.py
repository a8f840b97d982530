"""Root command group and the `serve` command."""

from __future__ import annotations

import typer
from rich.console import Console

from moisson.cli import db, orgs, users
from moisson.cli.state import CliState, state_of
from moisson.services.users import NewUser, ensure_first_admin
from moisson.storage.session import unit_of_work

app = typer.Typer(
    name="moisson",
    help="Moisson: an open-data harvesting service speaking udata's harvest API.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(users.app, name="users")
app.add_typer(orgs.app, name="orgs")

err = Console(stderr=True)


def bootstrap_admin(state: CliState) -> NewUser | None:
    """Create `admin@localhost` with a key if the database has no sysadmin yet."""
    with unit_of_work(state.sessions()) as session:
        return ensure_first_admin(session, state.settings)


@app.command()
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(7000, help="Port to listen on."),
) -> None:
    """Serve the API (run `moisson db upgrade` first)."""
    import uvicorn

    from moisson.api import create_app

    state = state_of(ctx)
    created = bootstrap_admin(state)
    if created is not None:
        typer.echo("")
        typer.echo("First start: created the sysadmin account admin@localhost.")
        typer.echo("Its API key (shown once, keep it; send it as the X-API-KEY header):")
        typer.echo("")
        typer.echo(f"    {created.api_key}")
        typer.echo("")
    api = create_app(state.settings, session_factory=state.sessions())
    uvicorn.run(api, host=host, port=port)
