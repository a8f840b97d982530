"""`moisson secrets ...`: the encrypted source credentials."""

from __future__ import annotations

import typer

from moisson.cli.state import state_of
from moisson.services.credentials import rotate_credentials
from moisson.storage.session import unit_of_work

app = typer.Typer(help="Encrypted source credentials.", no_args_is_help=True)


@app.command()
def rotate(ctx: typer.Context) -> None:
    """Re-encrypt source credentials and webhook secrets with the current MOISSON_SECRET_KEY.

    Run it after changing MOISSON_SECRET_KEY with the former key listed in
    MOISSON_PREVIOUS_SECRET_KEYS; then the former key can be removed from that list.
    """
    state = state_of(ctx)
    with unit_of_work(state.sessions()) as session:
        outcome = rotate_credentials(session, state.settings)
    typer.echo(f"Re-encrypted {outcome.rotated} secret(s) (source credentials, webhook secrets).")
    if outcome.undecryptable:
        typer.echo(
            "No configured key decrypts the secrets of: "
            + ", ".join(outcome.undecryptable)
            + " (set them again)",
            err=True,
        )
        raise typer.Exit(1)
