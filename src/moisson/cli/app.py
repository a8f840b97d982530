"""Root command group and the `serve` command."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import typer
from rich.console import Console

from moisson.cli import db, harvest, notifications, orgs, secrets, users
from moisson.cli.state import CliState, state_of
from moisson.config import Settings
from moisson.logging import configure_logging
from moisson.services.users import NewUser, ensure_first_admin
from moisson.storage.migrate import schema_revisions
from moisson.storage.migrate import upgrade as migrate_upgrade
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
app.add_typer(harvest.app, name="harvest")
app.add_typer(secrets.app, name="secrets")
app.add_typer(notifications.app, name="notifications")

err = Console(stderr=True)


def bootstrap_admin(state: CliState) -> NewUser | None:
    """Create `admin@localhost` with a key if the database has no sysadmin yet."""
    with unit_of_work(state.sessions()) as session:
        return ensure_first_admin(session, state.settings)


def ensure_schema(settings: Settings) -> None:
    """The embedded SQLite default migrates itself; any other database must be migrated by
    its operator (`moisson db upgrade`): `serve` exits at once with one line saying so."""
    current, heads = schema_revisions(settings.database_url)
    if current == heads:
        return
    if settings.is_sqlite:
        migrate_upgrade(settings.database_url)
        typer.echo("Database schema migrated to the latest version")
        return
    state = "has no schema" if not current else "has an older schema"
    err.print(f"The database {state}: run `moisson db upgrade` first", soft_wrap=True)
    raise typer.Exit(1)


@app.command()
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(7000, help="Port to listen on."),
) -> None:
    """Serve the API (on PostgreSQL, run `moisson db upgrade` first; SQLite migrates itself)."""
    import uvicorn

    from moisson.api import create_app

    state = state_of(ctx)
    configure_logging(state.settings)
    ensure_schema(state.settings)
    created = bootstrap_admin(state)
    if created is not None:
        typer.echo("")
        typer.echo("First start: created the sysadmin account admin@localhost.")
        typer.echo("Its API key (shown once, keep it; send it as the X-API-KEY header):")
        typer.echo("")
        typer.echo(f"    {created.api_key}")
        typer.echo("")
    from moisson.tasks.runtime import serving_background

    background = serving_background(state.settings, state.sessions())
    api = create_app(state.settings, session_factory=state.sessions(), runner=background.runner)

    @asynccontextmanager
    async def run_background(_app: object) -> AsyncIterator[None]:
        background.start()
        try:
            yield
        finally:
            # In the app's shutdown, not after `uvicorn.run`: on SIGTERM uvicorn raises the
            # signal again once it has shut down, which ends the process before code after
            # `run` would run, and would leave the worker's child processes running.
            background.stop(wait=False)

    api.router.lifespan_context = run_background
    # log_config=None: uvicorn's lines go through our handler (and format) too.
    uvicorn.run(api, host=host, port=port, log_config=None)


@app.command()
def worker(
    ctx: typer.Context,
    concurrency: int = typer.Option(2, help="Jobs this worker runs at once."),
    name: str = typer.Option("", help="Celery node name (default: moisson@<host>)."),
    metrics_port: int = typer.Option(
        0, help="Serve this worker's Prometheus metrics on this port (0: off)."
    ),
    metrics_host: str = typer.Option("127.0.0.1", help="Interface of the metrics server."),
) -> None:
    """Run a Celery worker for harvest jobs (needs MOISSON_BROKER_URL).

    Example: MOISSON_BROKER_URL=redis://127.0.0.1:6379/0 moisson worker --concurrency 4
    """
    settings = state_of(ctx).settings
    if not settings.broker_url:
        err.print("moisson worker needs a broker: set MOISSON_BROKER_URL (redis:// or amqp://)")
        raise typer.Exit(2)
    if metrics_port:
        from moisson.tasks.worker_metrics import serve_worker_metrics

        serve_worker_metrics(metrics_port, metrics_host)
    configure_logging(settings)
    from moisson.tasks.celery_app import harvest_queue, make_celery

    # No mingle/gossip: they sync revoked task ids and events between workers, which Moisson
    # never uses, and mingle costs a second at every start.
    argv = ["worker", f"--concurrency={concurrency}", f"--queues={harvest_queue(settings)}"]
    argv += ["--without-mingle", "--without-gossip"]
    argv += ["--loglevel=INFO", f"--hostname={name}"] if name else ["--loglevel=INFO"]
    make_celery(settings).worker_main(argv)


@app.command()
def scheduler(
    ctx: typer.Context,
    interval: float = typer.Option(30.0, help="Seconds between two scheduler ticks."),
) -> None:
    """Enqueue scheduled harvests, fail jobs of dead workers, purge old data (with Celery).

    Several schedulers may run at once: each due source is enqueued once.
    Example: MOISSON_BROKER_URL=redis://127.0.0.1:6379/0 moisson scheduler
    """
    from moisson.tasks.runtime import make_runner
    from moisson.tasks.scheduler import Scheduler

    state = state_of(ctx)
    if not state.settings.broker_url:
        err.print("moisson scheduler is for Celery deployments: `moisson serve` already runs one")
        raise typer.Exit(2)
    configure_logging(state.settings)
    runner = make_runner(state.settings)
    Scheduler(state.sessions(), runner, state.settings, watchdog=True).run_forever(interval)
