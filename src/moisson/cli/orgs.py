"""`moisson orgs ...`."""

from __future__ import annotations

from typing import Annotated

import typer

from moisson.cli.state import state_of
from moisson.domain.enums import MemberRole
from moisson.errors import MoissonError
from moisson.services.organizations import add_member, create_organization
from moisson.storage.session import unit_of_work

app = typer.Typer(help="Organizations and their members.", no_args_is_help=True)


@app.command()
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Name of the organization."),
    member: Annotated[
        list[str] | None,
        typer.Option("--member", help="E-mail of an existing user to add (repeatable)."),
    ] = None,
    role: Annotated[MemberRole, typer.Option(help="Role of the members added.")] = MemberRole.ADMIN,
) -> None:
    """Create an organization; its id is printed as the last line."""
    state = state_of(ctx)
    members = member or []
    try:
        with unit_of_work(state.sessions()) as session:
            org = create_organization(session, name)
            for email in members:
                add_member(session, org, email, role.value)
            org_id = org.id
    except MoissonError as exc:
        typer.echo(f"Error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Created organization {name!r} with {len(members)} member(s):")
    typer.echo(org_id)
