"""`moisson db ...`: schema migrations."""

from __future__ import annotations

import typer

from moisson.cli.state import state_of
from moisson.storage.migrate import upgrade as migrate_upgrade

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade(ctx: typer.Context, revision: str = typer.Argument("head")) -> None:
    """Migrate the database to `revision` (default: the latest)."""
    settings = state_of(ctx).settings
    migrate_upgrade(settings.database_url, revision)
    typer.echo(f"Database at {revision}")
