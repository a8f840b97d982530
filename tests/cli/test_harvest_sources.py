"""`moisson harvest` commands on sources: backends, sources, create, validate, delete,
purge, schedule, unschedule, launch, with their `--json` outputs and exit codes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from tests.cli.conftest import OWNER, Invoke, add_owner, invoke_with
from tests.integration.harvest.conftest import make_org, make_user

from moisson.cli.state import CliState
from moisson.config import Settings
from moisson.domain.enums import JobStatus
from moisson.storage.base import new_id
from moisson.storage.models import Dataset, HarvestJob, HarvestSource, User

URL = "https://data.example.org/catalog.rdf"


def create(cli: Invoke, name: str = "Example portal", *extra: str) -> dict:  # type: ignore[type-arg]
    result = cli("harvest", "create", "dcat", URL, name, "--json", *(extra or ("--owner", OWNER)))
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def one_line_error(result: object, text: str) -> None:
    """An expected error: exit 2, one `Error:` line on stderr naming it, no traceback."""
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1, result.stderr  # type: ignore[attr-defined]
    assert lines[0].startswith("Error: ")
    assert text in lines[0]
    assert "Traceback" not in result.output  # type: ignore[attr-defined]
    assert result.stdout == ""  # type: ignore[attr-defined]


def jobs_of(db: Session, source_id: str) -> list[HarvestJob]:
    db.expire_all()
    return list(db.scalars(select(HarvestJob).where(HarvestJob.source_id == source_id)))


class TestBackends:
    def test_table_marks_enabled_backends(self, cli: Invoke) -> None:
        result = cli("harvest", "backends")
        assert result.exit_code == 0
        line = next(line for line in result.stdout.splitlines() if " dcat " in line)
        assert "DCAT" in line
        assert "OK" in line

    def test_json_lists_installed_backends_with_their_state(
        self, opened_settings: Settings, session_factory: sessionmaker[Session]
    ) -> None:
        only_ckan = opened_settings.model_copy(
            update={"harvest": opened_settings.harvest.model_copy(update={"backends": ["ckan"]})}
        )
        result = invoke_with(CliState(only_ckan, session_factory))("harvest", "backends", "--json")
        assert result.exit_code == 0
        found = {b["id"]: b for b in json.loads(result.stdout)}
        assert found["ckan"]["enabled"] is True
        assert found["dcat"]["enabled"] is False
        assert {f["key"] for f in found["ckan"]["filters"]} >= {"tags", "organization"}


class TestCreate:
    def test_creates_a_pending_source(self, cli: Invoke, db: Session) -> None:
        result = cli("harvest", "create", "dcat", URL, "Example portal", "--owner", OWNER)
        assert result.exit_code == 0, result.output
        assert "Source:     Example portal [example-portal] (dcat)" in result.stdout
        source = db.scalars(select(HarvestSource)).one()
        assert source.validation_state == "pending"
        owner = db.scalars(select(User).where(User.email == OWNER)).one()
        assert (source.owner_id, source.organization_id) == (owner.id, None)
        assert f"Id:         {source.id}" in result.stdout

    def test_the_platform_cannot_own_a_source(self, cli: Invoke, db: Session) -> None:
        one_line_error(
            cli("harvest", "create", "dcat", URL, "Example portal"),
            "give its owner (a user) or its organization",
        )
        assert db.scalars(select(HarvestSource)).all() == []

    def test_json_is_the_api_shape(self, cli: Invoke) -> None:
        extra = ("--description", "Open data", "--no-autoarchive", "--owner", OWNER)
        shown = create(cli, "Example portal", *extra)
        assert shown["slug"] == "example-portal"
        assert shown["url"] == URL
        assert shown["description"] == "Open data"
        assert shown["autoarchive"] is False
        assert shown["validation"]["state"] == "pending"
        assert shown["permissions"]["validate"] is True

    def test_owner_by_email_and_organization_by_slug(self, cli: Invoke, db: Session) -> None:
        user = db.scalars(select(User).where(User.email == OWNER)).one()
        org = make_org(db, "Brest")
        db.commit()
        owned = create(cli, "Owned", "--owner", OWNER.upper())
        assert owned["owner"]["id"] == user.id
        assert create(cli, "By id", "--owner", user.id)["owner"]["id"] == user.id
        by_org = create(cli, "Of the org", "--org", org.slug)
        assert by_org["organization"]["id"] == org.id
        assert by_org["owner"] is None

    def test_config_is_validated_like_the_api(self, cli: Invoke) -> None:
        config = json.dumps({"filters": [{"key": "tags", "value": "env"}]})
        result = cli(
            "harvest",
            "create",
            "ckan",
            "https://ckan.example.org",
            "C",
            "--config",
            config,
            "--owner",
            OWNER,
        )
        assert result.exit_code == 0, result.output
        bad = json.dumps({"filters": [{"key": "nope", "value": "x"}]})
        refused = cli(
            "harvest",
            "create",
            "ckan",
            "https://ckan.example.org",
            "D",
            "--config",
            bad,
            "--owner",
            OWNER,
        )
        one_line_error(refused, "nope")

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("nope", URL, "X"), 'Unknown backend "nope"'),
            (("dcat", "http://10.0.0.1/catalog", "X"), "10.0.0.1"),
            (("dcat", URL, "   "), "Field is required"),
            (("dcat", URL, "X", "--config", "{not json"), "--config is not valid JSON"),
            (("dcat", URL, "X", "--config", "[1]"), "--config must be a JSON object"),
            (("dcat", URL, "X", "--owner", "ghost@example.test"), "No user with e-mail or id"),
            (("dcat", URL, "X", "--org", "ghost-town"), "No organization with slug or id"),
        ],
    )
    def test_bad_input_is_one_error_line_and_exit_2(
        self, cli: Invoke, db: Session, args: tuple[str, ...], message: str
    ) -> None:
        producer = () if {"--owner", "--org"} & set(args) else ("--owner", OWNER)
        one_line_error(cli("harvest", "create", *args, *producer), message)
        assert db.scalars(select(HarvestSource)).all() == []

    def test_both_producers_are_refused(self, cli: Invoke, db: Session) -> None:
        make_user(db, "u@example.test")
        org = make_org(db, "Org")
        db.commit()
        result = cli(
            "harvest", "create", "dcat", URL, "X", "--owner", "u@example.test", "--org", org.id
        )
        one_line_error(result, "exactly one producer")


class TestSources:
    def test_lists_sources_with_schedule_and_deleted_on_request(self, cli: Invoke) -> None:
        create(cli, "Alpha")
        create(cli, "Beta")
        assert cli("harvest", "schedule", "alpha", "0 3 * * *").exit_code == 0
        assert cli("harvest", "delete", "beta").exit_code == 0

        table = cli("harvest", "sources")
        assert table.exit_code == 0
        assert "Harvest sources (1)" in table.stdout
        assert "0 3 * * *" in table.stdout
        assert "beta" not in table.stdout

        everything = json.loads(cli("harvest", "sources", "--deleted", "--json").stdout)
        assert everything["total"] == 2
        deleted = {s["slug"]: s["deleted"] for s in everything["data"]}
        assert deleted["alpha"] is None
        assert deleted["beta"] is not None

    def test_scheduled_only(self, cli: Invoke) -> None:
        create(cli, "Alpha")
        create(cli, "Beta")
        cli("harvest", "schedule", "beta", "*/30 * * * *")
        shown = json.loads(cli("harvest", "sources", "--scheduled", "--json").stdout)
        assert [s["slug"] for s in shown["data"]] == ["beta"]
        assert shown["data"][0]["schedule"] == "*/30 * * * *"

    def test_listing_reads_every_page(self, cli: Invoke, db: Session) -> None:
        db.add_all(
            HarvestSource(name=f"S{i}", slug=f"s-{i}", url=URL, backend="dcat") for i in range(105)
        )
        db.commit()
        shown = json.loads(cli("harvest", "sources", "--json").stdout)
        assert shown["total"] == 105
        assert len(shown["data"]) == 105


class TestIdentifiers:
    def test_slug_first_then_id(self, cli: Invoke, db: Session) -> None:
        shown = create(cli, "Example portal")
        by_id = cli("harvest", "schedule", shown["id"], "0 1 * * *")
        assert by_id.exit_code == 0, by_id.output
        # A source whose slug looks like another source's id: the slug wins (udata's order).
        db.add(HarvestSource(name="Tricky", slug=shown["id"], url=URL, backend="dcat"))
        db.commit()
        result = cli("harvest", "jobs", shown["id"], "--json")
        assert result.exit_code == 0
        assert "Jobs of Tricky" in cli("harvest", "jobs", shown["id"]).stdout

    def test_unknown_source(self, cli: Invoke) -> None:
        for command in ("validate", "delete", "unschedule", "launch", "run", "jobs", "preview"):
            one_line_error(cli("harvest", command, "nowhere"), "Unknown source 'nowhere'")


class TestValidate:
    def test_accepting_schedules_and_leaves_a_pending_job_without_broker(
        self, cli: Invoke, db: Session
    ) -> None:
        shown = create(cli)
        result = cli("harvest", "validate", "example-portal")
        assert result.exit_code == 0, result.output
        assert "Source 'Example portal' accepted." in result.stdout
        assert "Schedule:   0 0 * * *" in result.stdout
        [job] = jobs_of(db, shown["id"])
        assert job.status == JobStatus.PENDING
        assert f"Job {job.id} is pending" in result.stderr
        assert "moisson serve" in result.stderr
        assert "moisson harvest run example-portal" in result.stderr
        source = db.get(HarvestSource, shown["id"])
        assert source is not None
        assert source.validation_by_id is None  # the platform validated it (udata's CLI)

    def test_refusing_needs_a_comment(self, cli: Invoke, db: Session) -> None:
        shown = create(cli)
        one_line_error(cli("harvest", "validate", "example-portal", "--refuse"), "comment")
        result = cli("harvest", "validate", "example-portal", "--refuse", "--comment", "Spam")
        assert result.exit_code == 0
        assert "refused" in result.stdout
        assert jobs_of(db, shown["id"]) == []


class TestScheduling:
    def test_schedule_then_unschedule(self, cli: Invoke, db: Session) -> None:
        shown = create(cli)
        result = cli("harvest", "schedule", "example-portal", "0  3 * *  1")
        assert result.exit_code == 0, result.output
        assert "Scheduled 'Example portal': 0 3 * * 1 (UTC)." in result.stdout
        assert "Next run:" in result.stdout
        assert cli("harvest", "unschedule", "example-portal").exit_code == 0
        source = db.get(HarvestSource, shown["id"])
        db.refresh(source)
        assert source is not None
        assert (source.schedule_cron, source.next_run_at) == (None, None)

    def test_invalid_cron_and_nothing_to_unschedule(self, cli: Invoke) -> None:
        create(cli)
        one_line_error(cli("harvest", "schedule", "example-portal", "0 3 * *"), "5 fields")
        one_line_error(cli("harvest", "schedule", "example-portal", "99 3 * * *"), "Invalid cron")
        one_line_error(
            cli("harvest", "unschedule", "example-portal"),
            "Harvesting on source Example portal is not scheduled",
        )


class TestDeleteAndPurge:
    def test_delete_is_soft_and_purge_archives_then_removes(self, cli: Invoke, db: Session) -> None:
        shown = create(cli)
        dataset = Dataset(slug="d", title="D", harvest_source_id=shown["id"], harvest_remote_id="1")
        db.add(dataset)
        db.commit()
        result = cli("harvest", "delete", "example-portal")
        assert result.exit_code == 0
        assert "Deleted source 'Example portal'" in result.stdout
        db.expire_all()
        assert db.get(HarvestSource, shown["id"]) is not None

        purged = cli("harvest", "purge", "--json")
        assert purged.exit_code == 0
        assert json.loads(purged.stdout) == {"sources": 1, "jobs": None}
        db.expire_all()
        assert db.get(HarvestSource, shown["id"]) is None
        archived = db.get(Dataset, dataset.id)
        assert archived is not None
        assert archived.harvest_archived_reason == "harvester-deleted"
        assert archived.archived_at is not None

    def test_purge_jobs_past_retention(self, cli: Invoke, db: Session) -> None:
        shown = create(cli)
        now = datetime.now(UTC)
        db.add_all(
            [
                HarvestJob(
                    source_id=shown["id"], status=JobStatus.DONE, created=now - timedelta(days=400)
                ),
                HarvestJob(source_id=shown["id"], status=JobStatus.DONE, created=now),
            ]
        )
        db.commit()
        result = cli("harvest", "purge", "--jobs")
        assert result.exit_code == 0
        assert "Purged 0 deleted source(s)." in result.stdout
        assert "Purged 1 job(s) older than 365 days." in result.stdout
        assert len(jobs_of(db, shown["id"])) == 1


class TestLaunch:
    def test_without_broker_the_job_waits_for_the_in_process_worker(
        self, cli: Invoke, db: Session
    ) -> None:
        shown = create(cli)
        cli("harvest", "validate", "example-portal", "--refuse", "--comment", "later")
        one_line_error(cli("harvest", "launch", "example-portal"), "not validated")
        db.execute(
            update(HarvestSource)
            .where(HarvestSource.id == shown["id"])
            .values(validation_state="accepted")
        )
        db.commit()
        result = cli("harvest", "launch", "example-portal", "--json")
        assert result.exit_code == 0, result.output
        launched = json.loads(result.stdout)
        [job] = jobs_of(db, shown["id"])
        assert launched == {"job": job.id, "source": shown["id"], "status": "pending"}
        assert "moisson serve" in result.stderr
        one_line_error(cli("harvest", "launch", "example-portal"), "already pending")

    def test_with_a_broker_the_job_is_queued(
        self, opened_settings: Settings, session_factory: sessionmaker[Session], db: Session
    ) -> None:
        queue_prefix = f"moisson-test-{new_id()}"
        celery_settings = opened_settings.model_copy(
            update={"broker_url": "redis://127.0.0.1:6379/0", "celery_queue": queue_prefix}
        )
        add_owner(session_factory)
        cli = invoke_with(CliState(celery_settings, session_factory))
        shown = create(cli)
        queue = f"{queue_prefix}.harvest"
        broker = redis.Redis(host="127.0.0.1", port=6379, db=0)
        try:
            result = cli("harvest", "validate", "example-portal")
            assert result.exit_code == 0, result.output
            [job] = jobs_of(db, shown["id"])
            assert f"Job {job.id} queued" in result.stderr
            messages = broker.lrange(queue, 0, -1)
            assert len(messages) == 1
            assert job.id.encode() in messages[0]  # type: ignore[operator]
        finally:
            broker.delete(queue)
            broker.close()


HARVEST_COMMANDS = [
    "backends",
    "sources",
    "jobs",
    "job",
    "create",
    "validate",
    "delete",
    "purge",
    "schedule",
    "unschedule",
    "launch",
    "run",
    "preview",
    "attach",
    "detach",
    "detach-all-from-source",
]


@pytest.mark.parametrize("command", HARVEST_COMMANDS)
def test_every_command_has_help_with_an_example(cli: Invoke, command: str) -> None:
    result = cli("harvest", command, "--help")
    assert result.exit_code == 0
    assert f"Example: moisson harvest {command}" in " ".join(result.stdout.split())
