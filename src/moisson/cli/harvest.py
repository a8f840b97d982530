"""`moisson harvest ...`: the operator's commands, with udata's vocabulary
(docs/udata-behaviour.md §9).

Every command acts as the platform itself (`services.auth.system_caller`, a sysadmin) and
goes through the same services as the API: one unit of work per command, committed before a
job is handed to a worker. Sources are named by slug first, then id. Read commands take
`--json` (the API's JSON shapes, alone on stdout). Exit codes: 0 done, 1 done with errors,
2 failed or refused input (see `moisson.cli.output`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from moisson.cli.output import (
    EXIT_DONE_ERRORS,
    exit_code_of,
    fail,
    operator_errors,
    print_json,
    say,
    stderr,
    stdout,
)
from moisson.cli.progress import HarvestProgress
from moisson.cli.state import CliState, state_of
from moisson.cli.views import (
    backends_table,
    errors_table,
    items_table,
    job_summary,
    job_view,
    jobs_table,
    preview_table,
    quality_view,
    source_lines,
    sources_table,
)
from moisson.domain.enums import FINAL_JOB_STATUSES, ItemStatus, JobStatus
from moisson.errors import NotFound
from moisson.services import (
    attachments,
    jobs,
    quality,
    retention,
    runs,
    source_workflow,
    sources,
)
from moisson.services.auth import system_caller
from moisson.services.organizations import find_organization
from moisson.services.paging import PageRequest
from moisson.services.runs import JobRunner, hand_over_after_commit
from moisson.services.users import find_user
from moisson.storage.session import unit_of_work

app = typer.Typer(
    help="Harvest sources and jobs (udata's `harvest` commands), as a sysadmin.",
    no_args_is_help=True,
)

JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print the API's JSON on stdout instead of tables.")
]
SourceArg = Annotated[str, typer.Argument(help="Slug or id of the source.", show_default=False)]

#: Page size used to read whole listings (the CLI shows everything it is asked for).
LISTING_PAGE = 100
#: Failed items shown under the summary of a run.
FAILED_ITEMS_SHOWN = 10


def _echo_lines(lines: list[str]) -> None:
    for line in lines:
        typer.echo(line)


@dataclass
class _HandOver:
    """What handing a job to the broker's runner gave: the CLI's edge of the one hand-over
    rule (`hand_over_after_commit`: only once the command's unit of work has committed)."""

    job_id: str
    runner: JobRunner | None = None
    queued: bool = False
    error: Exception | None = None

    def submit(self, job_id: str) -> None:
        if self.runner is None:  # no broker: nothing to queue on
            return
        try:
            self.runner.submit(job_id)
            self.queued = True
        except Exception as exc:  # reported by `_report_hand_over`; the job stays pending
            self.error = exc


def _hand_over_after_commit(state: CliState, session: Session, job_id: str) -> _HandOver:
    """With a broker, queue the job once the command's transaction has committed; without
    one, leave it pending for `moisson serve`'s in-process worker."""
    hand_over = _HandOver(job_id)
    if state.settings.broker_url:
        from moisson.tasks.runtime import make_runner

        hand_over.runner = make_runner(state.settings)
        hand_over_after_commit(session, hand_over, job_id)
    return hand_over


def _report_hand_over(state: CliState, hand_over: _HandOver, source_slug: str) -> None:
    """Say who runs the committed pending job: the broker's workers, or without a broker
    `moisson serve`'s in-process worker (or this command, in the foreground)."""
    job_id = hand_over.job_id
    if not state.settings.broker_url:
        say(
            f"Job {job_id} is pending. Without a broker, jobs run in `moisson serve`'s "
            f"in-process worker: it picks the job up when it runs (start it if it is not), "
            f"or run it here, in the foreground: moisson harvest run {source_slug}"
        )
        return
    if not hand_over.queued:
        fail(f"Could not queue job {job_id} on the broker ({hand_over.error}); it stays pending")
    say(f"Job {job_id} queued: a `moisson worker` will run it.")


def _job_of(launched: source_workflow.Launched) -> str:
    if launched.job_id is None:  # run_source gives a job or raises: a bug if reached
        fail("No job was created")
    return launched.job_id


# --------------------------------------------------------------------------- reading


@app.command()
def backends(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """List the installed backends, with OK/KO for enabled (MOISSON_HARVEST__BACKENDS).

    Example: moisson harvest backends --json
    """
    found = sources.installed_backends(state_of(ctx).settings)
    if json_output:
        print_json(found)
        return
    stdout().print(backends_table(found))


@app.command(name="sources")
def list_sources(
    ctx: typer.Context,
    deleted: Annotated[bool, typer.Option("--deleted", help="Include deleted sources.")] = False,
    scheduled: Annotated[
        bool, typer.Option("--scheduled", "-s", help="Only scheduled sources.")
    ] = False,
    q: Annotated[str | None, typer.Option(help="Words to find in the name or URL.")] = None,
    json_output: JsonFlag = False,
) -> None:
    """List harvest sources (not deleted ones, unless --deleted).

    Example: moisson harvest sources --scheduled
    """
    state = state_of(ctx)
    query = sources.SourceQuery(deleted=deleted, scheduled=scheduled, q=q)
    found: list[dict[str, Any]] = []
    with unit_of_work(state.sessions()) as session, operator_errors():
        page_number, total = 1, 0
        while True:
            page = sources.list_sources(
                session, system_caller(), query, PageRequest(page_number, LISTING_PAGE)
            )
            found.extend(page.data)
            total = page.total
            if len(found) >= total or not page.data:
                break
            page_number += 1
    if json_output:
        print_json({"data": found, "total": total})
        return
    stdout().print(sources_table(found, total))


@app.command(name="jobs")
def list_jobs(
    ctx: typer.Context,
    source: SourceArg,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Newest jobs shown.")] = 20,
    json_output: JsonFlag = False,
) -> None:
    """List the jobs of a source, newest first.

    Example: moisson harvest jobs my-portal --limit 5
    """
    state = state_of(ctx)
    with unit_of_work(state.sessions()) as session, operator_errors():
        found = sources.find_source(session, source)
        page = jobs.list_jobs(session, system_caller(), found.id, PageRequest(1, limit))
        name = found.name
    if json_output:
        print_json({"data": page.data, "total": page.total})
        return
    stdout().print(jobs_table(page.data, page.total, name))


@app.command(name="quality")
def show_quality(ctx: typer.Context, source: SourceArg, json_output: JsonFlag = False) -> None:
    """The metadata quality of a source's datasets: MQA average and bands, the share of
    datasets meeting each metric, DCAT-AP violations, and the datasets to fix first.

    Example: moisson harvest quality my-portal
    """
    state = state_of(ctx)
    with unit_of_work(state.sessions()) as session, operator_errors():
        found = sources.find_source(session, source)
        figures = quality.source_quality(session, state.settings, found.id)
        name = found.name
    if json_output:
        print_json(figures)
        return
    stdout().print(quality_view(figures, name))


@app.command(name="job")
def show_job(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="Id of the job.", show_default=False)],
    items: Annotated[bool, typer.Option("--items", help="Also list its items.")] = False,
    status: Annotated[
        ItemStatus | None, typer.Option(help="Only items of this status (implies --items).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="Items shown at most.")] = 100,
    json_output: JsonFlag = False,
) -> None:
    """Show one job: status, counters, errors with details; --items lists its items.

    Example: moisson harvest job 6650c0ffee0000000000beef --items --status failed
    """
    state = state_of(ctx)
    caller = system_caller()
    show_items = items or status is not None
    with unit_of_work(state.sessions()) as session, operator_errors():
        try:
            job = jobs.get_job(session, state.settings, caller, job_id, PageRequest(1, 1))
        except NotFound:
            fail(f"Unknown job {job_id!r}")
        job.pop("items", None)
        page = None
        if show_items:
            page = jobs.list_items(
                session,
                state.settings,
                caller,
                job_id,
                status.value if status else None,
                PageRequest(1, limit),
            )
    if json_output:
        if page is not None:
            job["items"] = page.data
            job["items_shown"] = len(page.data)
        print_json(job)
        return
    console = stdout()
    console.print(job_view(job, details=True))
    if page is not None:
        console.print(items_table(page.data, page.total, details=True))


# --------------------------------------------------------------------------- sources


def _parse_config(config: str | None) -> dict[str, Any] | None:
    if config is None:
        return None
    try:
        parsed = json.loads(config)
    except json.JSONDecodeError as exc:
        fail(f"--config is not valid JSON: {exc}")
    if not isinstance(parsed, dict):
        fail('--config must be a JSON object, e.g. \'{"features": {"archive": true}}\'')
    return parsed


@app.command()
def create(
    ctx: typer.Context,
    backend: Annotated[str, typer.Argument(help="Backend id (see `backends`).")],
    url: Annotated[str, typer.Argument(help="URL of the remote catalog.")],
    name: Annotated[str, typer.Argument(help="Name of the source.")],
    owner: Annotated[
        str | None, typer.Option(help="E-mail or id of the user owning the source.")
    ] = None,
    org: Annotated[
        str | None, typer.Option(help="Slug or id of the organization owning the source.")
    ] = None,
    config: Annotated[
        str | None, typer.Option(help="Backend configuration as a JSON object.")
    ] = None,
    description: Annotated[str | None, typer.Option(help="Description of the source.")] = None,
    autoarchive: Annotated[
        bool,
        typer.Option(help="Archive local objects that vanish from the remote catalog."),
    ] = True,
    json_output: JsonFlag = False,
) -> None:
    """Register a harvest source (pending until `validate` accepts it).

    Checked as the API checks it. A source has exactly one producer: give --owner (a user)
    or --org (an organization).

    Example: moisson harvest create dcat https://example.org/catalog.rdf "Example" --org example
    """
    state = state_of(ctx)
    changes: dict[str, Any] = {
        "backend": backend,
        "url": url,
        "name": name,
        "description": description,
        "autoarchive": autoarchive,
    }
    parsed = _parse_config(config)
    if parsed is not None:
        changes["config"] = parsed
    with unit_of_work(state.sessions()) as session, operator_errors():
        if owner is not None:
            changes["owner"] = find_user(session, owner).id
        if org is not None:
            changes["organization"] = find_organization(session, org).id
        created = sources.create_source(session, state.settings, system_caller(), changes)
    if json_output:
        print_json(created)
        return
    typer.echo(f"Created source {created['name']!r}: pending validation.")
    _echo_lines(source_lines(created))
    say(f"Next: moisson harvest preview {created['slug']}")
    say(f"Then: moisson harvest validate {created['slug']}")


@app.command()
def validate(
    ctx: typer.Context,
    source: SourceArg,
    refuse: Annotated[bool, typer.Option("--refuse", help="Refuse instead of accepting.")] = False,
    comment: Annotated[str | None, typer.Option(help="Why (required with --refuse).")] = None,
) -> None:
    """Accept a source, or refuse it with --refuse --comment TEXT.

    Accepting schedules it with the default cron (MOISSON_HARVEST__DEFAULT_SCHEDULE) and
    launches a first job, as the API does.

    Example: moisson harvest validate example-portal
    """
    state = state_of(ctx)
    decision = {"state": "refused" if refuse else "accepted", "comment": comment}
    with unit_of_work(state.sessions()) as session, operator_errors():
        source_id = sources.find_source(session, source).id
        launched = source_workflow.validate_source(
            session, state.settings, system_caller(), source_id, decision
        )
        hand_over = (
            None
            if launched.job_id is None
            else _hand_over_after_commit(state, session, launched.job_id)
        )
    shown = launched.source
    typer.echo(f"Source {shown['name']!r} {shown['validation']['state']}.")
    _echo_lines(source_lines(shown))
    if hand_over is not None:
        _report_hand_over(state, hand_over, shown["slug"])


@app.command()
def delete(ctx: typer.Context, source: SourceArg) -> None:
    """Delete a source (soft: its jobs and datasets stay until `purge`).

    Example: moisson harvest delete example-portal
    """
    state = state_of(ctx)
    with unit_of_work(state.sessions()) as session, operator_errors():
        found = sources.find_source(session, source)
        name, source_id = found.name, found.id
        sources.delete_source(session, system_caller(), source_id)
    typer.echo(f"Deleted source {name!r} ({source_id}); `moisson harvest purge` removes it.")


@app.command()
def purge(
    ctx: typer.Context,
    purge_jobs: Annotated[
        bool,
        typer.Option(
            "--jobs",
            help="Also delete finished jobs older than the retention (jobs_retention_days).",
        ),
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Remove deleted sources for good (and old jobs with --jobs).

    The datasets and dataservices of a purged source are archived (reason
    harvester-deleted), then the source and its jobs are deleted.

    Example: moisson harvest purge --jobs
    """
    state = state_of(ctx)
    now = datetime.now(UTC)
    with unit_of_work(state.sessions()) as session:
        purged = retention.purge_deleted_sources(session, now=now)
        old_jobs = (
            retention.purge_jobs(
                session, now=now, retention_days=state.settings.harvest.jobs_retention_days
            )
            if purge_jobs
            else None
        )
    if json_output:
        print_json({"sources": purged, "jobs": old_jobs})
        return
    typer.echo(f"Purged {purged} deleted source(s).")
    if old_jobs is not None:
        days = state.settings.harvest.jobs_retention_days
        typer.echo(f"Purged {old_jobs} job(s) older than {days} days.")


@app.command()
def schedule(
    ctx: typer.Context,
    source: SourceArg,
    cron: Annotated[
        str,
        typer.Argument(
            help='5-field cron expression in UTC, or an interval ("every 6 hours"), quoted.',
            show_default=False,
        ),
    ],
) -> None:
    """Schedule a source with a cron expression or an interval.

    A 5-field cron (minute hour day-of-month month day-of-week, UTC) or an interval such as
    "every 6 hours". Replaces any previous schedule.

    Intervals: "every day", "every 6 hours", "every 30 minutes".

    Example: moisson harvest schedule example-portal "0 3 * * 1"
    """
    state = state_of(ctx)
    with unit_of_work(state.sessions()) as session, operator_errors():
        source_id = sources.find_source(session, source).id
        shown = source_workflow.schedule_source(session, system_caller(), source_id, cron)
    typer.echo(f"Scheduled {shown['name']!r}: {shown['schedule']} (UTC).")
    _echo_lines(source_lines(shown))


@app.command()
def unschedule(ctx: typer.Context, source: SourceArg) -> None:
    """Remove the schedule of a source (an error if it has none).

    Example: moisson harvest unschedule example-portal
    """
    state = state_of(ctx)
    with unit_of_work(state.sessions()) as session, operator_errors():
        found = sources.find_source(session, source)
        name = found.name
        source_workflow.unschedule_source(session, system_caller(), found.id)
    typer.echo(f"Unscheduled {name!r}.")


# --------------------------------------------------------------------------- runs


@app.command()
def launch(ctx: typer.Context, source: SourceArg, json_output: JsonFlag = False) -> None:
    """Start a harvest in the background.

    Creates a pending job and queues it on the broker (MOISSON_BROKER_URL) for `moisson
    worker`; without a broker, `moisson serve`'s in-process worker runs it.

    Example: moisson harvest launch example-portal
    """
    state = state_of(ctx)
    with unit_of_work(state.sessions()) as session, operator_errors():
        source_id = sources.find_source(session, source).id
        launched = source_workflow.run_source(session, state.settings, system_caller(), source_id)
        hand_over = _hand_over_after_commit(state, session, _job_of(launched))
    job_id = hand_over.job_id
    if json_output:
        print_json({"job": job_id, "source": launched.source["id"], "status": JobStatus.PENDING})
    else:
        typer.echo(f"Created job {job_id} for {launched.source['name']!r}.")
    _report_hand_over(state, hand_over, launched.source["slug"])


@app.command()
def run(
    ctx: typer.Context,
    source: SourceArg,
    progress: Annotated[bool, typer.Option(help="Show the live progress bar (on stderr).")] = True,
    json_output: JsonFlag = False,
) -> None:
    """Harvest a source now, in the foreground, with a live progress bar.

    Prints a summary at the end. A job of the source still waiting for a worker is taken
    over. Exit code: 0 done, 1 done with errors, 2 failed.

    Example: moisson harvest run example-portal
    """
    state = state_of(ctx)
    caller = system_caller()
    with unit_of_work(state.sessions()) as session, operator_errors():
        source_id = sources.find_source(session, source).id
        launched = source_workflow.run_source(
            session, state.settings, caller, source_id, adopt_pending=True
        )
    job_id = _job_of(launched)
    name = launched.source["name"]
    try:
        if progress:
            with HarvestProgress(stderr(), f"Harvesting {name}") as bar:
                runs.run_job_here(state.sessions(), state.settings, job_id, on_progress=bar.update)
        else:
            runs.run_job_here(state.sessions(), state.settings, job_id)
    except KeyboardInterrupt:
        with unit_of_work(state.sessions()) as session:
            runs.abandon_job(
                session, job_id, "Interrupted by the operator during `moisson harvest run`"
            )
        fail(f"Interrupted: job {job_id} marked failed (items done so far are kept)")
    with unit_of_work(state.sessions()) as session:
        job = jobs.get_job(session, state.settings, caller, job_id, PageRequest(1, 1))
        job.pop("items", None)
        failed_items = jobs.list_items(
            session,
            state.settings,
            caller,
            job_id,
            ItemStatus.FAILED.value,
            PageRequest(1, FAILED_ITEMS_SHOWN),
        )
    if job["status"] not in FINAL_JOB_STATUSES:
        fail(f"Job {job_id} was taken by another worker (now {job['status']}); see `job {job_id}`")
    if json_output:
        print_json(job)
    else:
        console = stdout()
        console.print(job_summary(job, title=f"Harvest of {name}"))
        if job["errors"]:
            console.print(errors_table("Job errors", job["errors"], details=False))
        if failed_items.data:
            console.print(
                items_table(
                    failed_items.data, failed_items.total, details=False, title="Failed items"
                )
            )
            say(f"All failed items: moisson harvest job {job_id} --status failed")
    raise typer.Exit(exit_code_of(job["status"]))


@app.command()
def preview(
    ctx: typer.Context,
    source: Annotated[
        str | None, typer.Argument(help="Slug or id of a saved source.", show_default=False)
    ] = None,
    backend: Annotated[str | None, typer.Option(help="Backend of an unsaved source.")] = None,
    url: Annotated[str | None, typer.Option(help="URL of an unsaved source.")] = None,
    config: Annotated[
        str | None, typer.Option(help="Configuration (JSON object) of an unsaved source.")
    ] = None,
    owner: Annotated[
        str | None, typer.Option(help="Owner (e-mail or id) of an unsaved source.")
    ] = None,
    org: Annotated[
        str | None, typer.Option(help="Organization (slug or id) of an unsaved source.")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Show what the first records of a source would become, saving nothing.

    Give a source, or --backend and --url for one not saved yet (with --owner or --org,
    records already harvested for another producer show as failing, as they would). At
    most MOISSON_HARVEST__PREVIEW_MAX_ITEMS records are read.

    Example: moisson harvest preview --backend dcat --url https://data.example.org/catalog.rdf
    """
    state = state_of(ctx)
    caller = system_caller()
    if source is None and (backend is None or url is None):
        fail("Give a source, or both --backend and --url")
    if source is not None and (backend or url or config or owner or org):
        fail("Give either a source or --backend/--url/--config/--owner/--org, not both")
    with unit_of_work(state.sessions()) as session, operator_errors():
        if source is not None:
            source_id = sources.find_source(session, source).id
            shown = source_workflow.preview_existing_source(
                session, state.settings, caller, source_id
            )
        else:
            changes: dict[str, Any] = {"backend": backend, "url": url, "name": "Preview"}
            parsed = _parse_config(config)
            if parsed is not None:
                changes["config"] = parsed
            if owner is not None:
                changes["owner"] = find_user(session, owner).id
            if org is not None:
                changes["organization"] = find_organization(session, org).id
            shown = source_workflow.preview_new_source(session, state.settings, caller, changes)
    if json_output:
        print_json(shown)
    else:
        stdout().print(preview_table(shown))
    raise typer.Exit(exit_code_of(shown["status"]))


# --------------------------------------------------------------------------- attach / detach


@app.command()
def attach(
    ctx: typer.Context,
    csv_file: Annotated[
        Path,
        typer.Argument(
            help="';'-separated file with the columns local (dataset slug or id) and remote.",
            exists=True,
            dir_okay=False,
            readable=True,
            show_default=False,
        ),
    ],
    domain: Annotated[str, typer.Argument(help="Domain of the remote catalog.")],
    json_output: JsonFlag = False,
) -> None:
    """Bind existing datasets to remote records of a domain.

    The next harvest of that domain then updates them instead of creating duplicates. The
    file is ';'-separated with a header: local (dataset slug or id);remote (remote id). A
    row that fails is reported and skipped (exit code 1).

    Example: moisson harvest attach bindings.csv data.example.org
    """
    state = state_of(ctx)
    try:
        text = csv_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"Cannot read {csv_file}: {exc}")
    with unit_of_work(state.sessions()) as session, operator_errors():
        rows = attachments.read_attachments(text)
        report = attachments.attach_datasets(session, rows, domain, now=datetime.now(UTC))
    if json_output:
        print_json({"attached": report.attached, "errors": report.errors})
    else:
        typer.echo(f"Attached {report.attached} dataset(s) to {domain}.")
        for error in report.errors:
            say(f"Error: {error}")
    if report.errors:
        raise typer.Exit(EXIT_DONE_ERRORS)


@app.command()
def detach(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Argument(help="Slug or id of the dataset.")],
) -> None:
    """Unbind a dataset from harvesting.

    Removes the harvest metadata of the dataset and of its resources: no harvest will
    update or archive it again.

    Example: moisson harvest detach my-dataset
    """
    state = state_of(ctx)
    with unit_of_work(state.sessions()) as session, operator_errors():
        found = attachments.detach_dataset(session, dataset)
        slug, dataset_id = found.slug, found.id
    typer.echo(f"Detached dataset {slug} ({dataset_id}) from harvesting.")


@app.command(name="detach-all-from-source")
def detach_all_from_source(ctx: typer.Context, source: SourceArg) -> None:
    """Detach every dataset harvested by a source.

    Its next run then creates new datasets for the same records (duplicates): delete the
    source afterwards, or attach them again.

    Example: moisson harvest detach-all-from-source example-portal
    """
    state = state_of(ctx)
    with unit_of_work(state.sessions()) as session, operator_errors():
        found = sources.find_source(session, source)
        count = attachments.detach_source_datasets(session, found.id)
        name = found.name
    typer.echo(f"Detached {count} dataset(s) of {name!r}.")
    say("Warning: the source will now create new datasets for the same records if it runs.")
