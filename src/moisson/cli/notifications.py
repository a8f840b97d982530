"""`moisson notifications ...`: subscribers of a source, their deliveries, sending now."""

from __future__ import annotations

from typing import Annotated

import typer

from moisson.cli.output import fail, operator_errors, print_json
from moisson.cli.state import state_of
from moisson.services import notifications, sources
from moisson.services.auth import system_caller
from moisson.services.notification_delivery import drain
from moisson.storage.session import unit_of_work

app = typer.Typer(help="E-mail and webhook notifications of harvest events.", no_args_is_help=True)
SourceArg = Annotated[str, typer.Argument(help="Slug or id of the source.")]


@app.command("list")
def list_(ctx: typer.Context, source: SourceArg) -> None:
    """The subscriptions of a source, as JSON."""
    state = state_of(ctx)
    with unit_of_work(state.sessions()) as session, operator_errors():
        found = sources.find_source(session, source)
        print_json(notifications.list_subscriptions(session, system_caller(), source=found.id))


@app.command()
def add(
    ctx: typer.Context,
    source: SourceArg,
    event: Annotated[
        list[str], typer.Option("--event", help="An event to be told of (repeatable).")
    ],
    email: Annotated[str | None, typer.Option(help="Send e-mails to this address.")] = None,
    webhook: Annotated[str | None, typer.Option(help="POST signed JSON to this URL.")] = None,
    threshold: Annotated[
        list[str] | None,
        typer.Option(help="NAME=N: only above N (items_failed, datasets_created...)."),
    ] = None,
    digest: Annotated[bool, typer.Option(help="E-mail: one daily digest.")] = False,
) -> None:
    """Subscribe an address or a webhook to events of a source. A webhook's signing secret
    is printed once.

    Example: moisson notifications add example-portal --email ops@example.org
    --event job.failed --event items.failed --threshold items_failed=10
    """
    if (email is None) == (webhook is None):
        fail("Give exactly one of --email and --webhook")
    thresholds: dict[str, int] = {}
    for entry in threshold or []:
        name, _, value = entry.partition("=")
        if not value.isdigit():
            fail(f"--threshold {entry!r}: expected NAME=N with N an integer")
        thresholds[name] = int(value)
    body = {
        "channel": "email" if email is not None else "webhook",
        "target": email if email is not None else webhook,
        "events": event,
        "thresholds": thresholds,
        "digest": digest,
    }
    state = state_of(ctx)
    with unit_of_work(state.sessions()) as session, operator_errors():
        found = sources.find_source(session, source)
        created = notifications.create_subscription(
            session, state.settings, system_caller(), body, source=found.id
        )
    print_json(created)


@app.command()
def remove(ctx: typer.Context, source: SourceArg, subscription: str) -> None:
    """Remove a subscription of a source."""
    state = state_of(ctx)
    with unit_of_work(state.sessions()) as session, operator_errors():
        found = sources.find_source(session, source)
        notifications.delete_subscription(session, system_caller(), subscription, source=found.id)
    typer.echo(f"Removed subscription {subscription}.")


@app.command()
def deliveries(ctx: typer.Context, source: SourceArg) -> None:
    """The latest deliveries of a source with every attempt, as JSON."""
    state = state_of(ctx)
    with unit_of_work(state.sessions()) as session, operator_errors():
        found = sources.find_source(session, source)
        print_json(notifications.list_deliveries(session, system_caller(), source=found.id))


@app.command()
def send(ctx: typer.Context) -> None:
    """Send the deliveries due now, once (`moisson serve` and `moisson scheduler` do it
    continuously)."""
    state = state_of(ctx)
    typer.echo(f"{drain(state.sessions(), state.settings)} attempt(s) made.")
