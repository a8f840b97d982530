"""`moisson harvest run / preview / jobs / job` against DCAT catalogs served on loopback:
the summary, the exit codes (0 done, 1 done-errors, 2 failed) and the `--json` outputs."""

from __future__ import annotations

import json
import re

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from tests.cli.conftest import (
    OWNER,
    Catalogs,
    Invoke,
    accepted_source,
    add_owner,
    created_source,
    invoke_with,
)
from tests.integration.harvest.conftest import make_org

from moisson.cli.state import CliState
from moisson.config import Settings
from moisson.domain.enums import JobStatus
from moisson.storage.models import Dataset, HarvestJob, HarvestSource


def summary_value(text: str, label: str) -> str:
    match = re.search(rf"^\s*{label}\s+(\S.*?)\s*$", text, re.MULTILINE)
    assert match, f"no {label!r} row in:\n{text}"
    return match.group(1)


class TestRun:
    def test_harvests_a_catalog_in_the_foreground(
        self, cli: Invoke, catalogs: Catalogs, db: Session
    ) -> None:
        slug = accepted_source(cli, catalogs.url("catalog.rdf"), "Loopback portal")
        result = cli("harvest", "run", slug)
        assert result.exit_code == 0, result.output
        out = result.stdout
        assert "Harvest of Loopback portal" in out
        assert summary_value(out, "status") == "done"
        assert summary_value(out, "seen") == "3"
        assert summary_value(out, "done") == "3"
        assert summary_value(out, "failed") == "0"
        assert summary_value(out, "datasets") == "3"
        assert re.fullmatch(r"\d+\.\ds", summary_value(out, "duration"))
        assert "Job errors" not in out
        # The progress bar is drawn on stderr, never on stdout.
        assert "records/s" in result.stderr
        titles = set(db.scalars(select(Dataset.title)))
        assert titles == {"Air quality measurements", "Bike lanes", "Trees of the parks"}
        # It ran the job `validate` had queued instead of refusing with a 409.
        jobs = list(db.scalars(select(HarvestJob)))
        assert [j.status for j in jobs] == [JobStatus.DONE]
        assert summary_value(out, "job") == jobs[0].id

    def test_a_second_run_finds_everything_unchanged(self, cli: Invoke, catalogs: Catalogs) -> None:
        slug = accepted_source(cli, catalogs.url("catalog.rdf"), "Loopback portal")
        assert cli("harvest", "run", slug).exit_code == 0
        again = cli("harvest", "run", slug, "--no-progress")
        assert again.exit_code == 0, again.output
        assert summary_value(again.stdout, "unchanged") == "3"
        assert summary_value(again.stdout, "done") == "3"
        assert again.stderr == ""

    def test_a_failing_item_exits_1_and_lists_it(self, cli: Invoke, catalogs: Catalogs) -> None:
        slug = accepted_source(cli, catalogs.url("catalog-with-a-bad-record.rdf"), "Bad record")
        result = cli("harvest", "run", slug)
        assert result.exit_code == 1, result.output
        out = result.stdout
        assert summary_value(out, "status") == "done-errors"
        assert summary_value(out, "seen") == "4"
        assert summary_value(out, "done") == "3"
        assert summary_value(out, "failed") == "1"
        assert "Failed items (1)" in out
        assert re.search(r"service-without-title\s+failed\s+-\s+ERROR: missing title", out)
        job_id = summary_value(out, "job")
        assert f"moisson harvest job {job_id} --status failed" in result.stderr

    def test_a_failing_source_exits_2_with_the_job_error(
        self, cli: Invoke, catalogs: Catalogs
    ) -> None:
        slug = accepted_source(cli, catalogs.url("gone.rdf"), "Gone")
        result = cli("harvest", "run", slug)
        assert result.exit_code == 2, result.output
        out = result.stdout
        assert summary_value(out, "status") == "failed"
        assert summary_value(out, "seen") == "0"
        assert "Job errors" in out
        assert re.search(r"WARNING\s+Client error '404 Not Found' for url", out)

    def test_json_is_the_job_alone_on_stdout(self, cli: Invoke, catalogs: Catalogs) -> None:
        slug = accepted_source(cli, catalogs.url("catalog-with-a-bad-record.rdf"), "Bad record")
        result = cli("harvest", "run", slug, "--json")
        assert result.exit_code == 1
        job = json.loads(result.stdout)
        assert job["status"] == "done-errors"
        assert job["items_by_status"]["failed"] == 1
        assert job["items_total"] == 4
        assert "items" not in job

    def test_an_unvalidated_source_is_refused(self, cli: Invoke, catalogs: Catalogs) -> None:
        assert (
            cli(
                "harvest", "create", "dcat", catalogs.url("catalog.rdf"), "New", "--owner", OWNER
            ).exit_code
            == 0
        )
        result = cli("harvest", "run", "new")
        assert result.exit_code == 2
        assert result.stderr.startswith("Error: Source is not validated.")

    def test_a_job_already_running_is_a_conflict(
        self, cli: Invoke, catalogs: Catalogs, db: Session
    ) -> None:
        slug = accepted_source(cli, catalogs.url("catalog.rdf"), "Busy")
        db.execute(update(HarvestJob).values(status=JobStatus.PROCESSING))
        db.commit()
        result = cli("harvest", "run", slug)
        assert result.exit_code == 2
        assert "is already processing" in result.stderr


class TestJobs:
    def test_jobs_and_job_with_items(self, cli: Invoke, catalogs: Catalogs) -> None:
        slug = accepted_source(cli, catalogs.url("catalog-with-a-bad-record.rdf"), "Bad record")
        cli("harvest", "run", slug)
        listing = cli("harvest", "jobs", slug)
        assert listing.exit_code == 0
        assert "Jobs of Bad record (1)" in listing.stdout
        assert "done-errors" in listing.stdout
        page = json.loads(cli("harvest", "jobs", slug, "--json").stdout)
        assert page["total"] == 1
        job_id = page["data"][0]["id"]

        shown = cli("harvest", "job", job_id, "--items")
        assert shown.exit_code == 0
        assert f"Job {job_id}" in shown.stdout
        assert "Items (4)" in shown.stdout
        assert re.search(r"air-quality\s+done\s+[0-9a-f]{24}", shown.stdout)

        failed = json.loads(cli("harvest", "job", job_id, "--status", "failed", "--json").stdout)
        assert failed["id"] == job_id
        assert [i["remote_id"] for i in failed["items"]] == ["service-without-title"]
        assert failed["items"][0]["errors"][0]["message"] == "missing title on dataservice"

        summary = json.loads(cli("harvest", "job", job_id, "--json").stdout)
        assert "items" not in summary
        assert summary["items_by_status"]["done"] == 3

    def test_job_errors_show_their_details(self, cli: Invoke, catalogs: Catalogs) -> None:
        slug = accepted_source(cli, catalogs.url("gone.rdf"), "Gone")
        cli("harvest", "run", slug)
        job_id = json.loads(cli("harvest", "jobs", slug, "--json").stdout)["data"][0]["id"]
        job = json.loads(cli("harvest", "job", job_id, "--json").stdout)
        [error] = job["errors"]
        assert "Traceback" in error["details"]  # the CLI is a sysadmin
        assert "Traceback" in cli("harvest", "job", job_id).stdout

    def test_unknown_job_and_bad_status(self, cli: Invoke) -> None:
        missing = cli("harvest", "job", "0" * 24)
        assert missing.exit_code == 2
        assert missing.stderr == f"Error: Unknown job '{'0' * 24}'\n"
        bad = cli("harvest", "job", "0" * 24, "--status", "weird")
        assert bad.exit_code == 2  # Typer's own usage error, also 2


class TestPreview:
    def test_preview_of_a_saved_source_saves_nothing(
        self, cli: Invoke, catalogs: Catalogs, db: Session
    ) -> None:
        source_id = created_source(cli, catalogs.url("catalog.rdf"), "P")["id"]
        result = cli("harvest", "preview", "p")
        assert result.exit_code == 0, result.output
        out = result.stdout
        assert "Preview: 3 record(s), status done (nothing saved)" in out
        assert re.search(r"air-quality\s+Air quality measurements\s+dataset\s+2\s+lov2\s+done", out)
        assert re.search(r"trees\s+Trees of the parks\s+dataset\s+0\s+notspecified", out)
        db.expire_all()
        assert db.scalars(select(Dataset)).all() == []
        assert db.scalars(select(HarvestJob)).all() == []
        preview = json.loads(cli("harvest", "preview", source_id, "--json").stdout)
        assert preview["source"] == source_id
        assert preview["id"] is None
        assert len(preview["items"]) == 3

    def test_preview_of_an_unsaved_source_and_its_failures(
        self, cli: Invoke, catalogs: Catalogs, db: Session
    ) -> None:
        url = catalogs.url("catalog-with-a-bad-record.rdf")
        result = cli("harvest", "preview", "--backend", "dcat", "--url", url, "--json")
        assert result.exit_code == 1
        preview = json.loads(result.stdout)
        assert preview["source"] is None
        assert preview["status"] == "done-errors"
        failed = [i for i in preview["items"] if i["status"] == "failed"]
        assert failed[0]["errors"][0]["message"] == "missing title on dataservice"
        assert db.scalars(select(HarvestSource)).all() == []

        gone = cli("harvest", "preview", "--backend", "dcat", "--url", catalogs.url("gone.rdf"))
        assert gone.exit_code == 2
        assert "Job errors" in gone.stdout

    def test_preview_of_an_unsaved_source_honours_its_producer(
        self, cli: Invoke, catalogs: Catalogs, db: Session
    ) -> None:
        url = catalogs.url("catalog.rdf")
        slug = accepted_source(cli, url, "Harvested by a user")
        assert cli("harvest", "run", slug).exit_code == 0
        org = make_org(db, "Other")
        db.commit()
        as_owner = cli("harvest", "preview", "--backend", "dcat", "--url", url, "--owner", OWNER)
        assert as_owner.exit_code == 0, as_owner.output
        as_org = cli("harvest", "preview", "--backend", "dcat", "--url", url, "--org", org.slug)
        assert as_org.exit_code == 1
        assert "Item has another owner" in as_org.stdout

    def test_preview_needs_a_source_or_a_backend_and_url(self, cli: Invoke) -> None:
        result = cli("harvest", "preview", "--backend", "dcat")
        assert result.exit_code == 2
        assert result.stderr == "Error: Give a source, or both --backend and --url\n"

    def test_preview_on_committed_data_does_not_wait_for_its_own_lock(
        self,
        opened_settings: Settings,
        committed_factory: sessionmaker[Session],
        catalogs: Catalogs,
    ) -> None:
        """With real connections (SQLite takes the write lock at BEGIN), the preview must not
        open a second transaction behind the command's own: that waited for the busy
        timeout, then failed."""
        add_owner(committed_factory)
        cli = invoke_with(CliState(opened_settings, committed_factory))
        url = catalogs.url("catalog.rdf")
        assert cli("harvest", "create", "dcat", url, "Real", "--owner", OWNER).exit_code == 0
        result = cli("harvest", "preview", "real", "--json")
        assert result.exit_code == 0, result.output
        assert len(json.loads(result.stdout)["items"]) == 3


def test_job_shows_the_dcat_ap_assessment(cli: Invoke, catalogs: Catalogs) -> None:
    slug = accepted_source(cli, catalogs.url("catalog.rdf"), "Loopback portal")
    job_id = summary_value(cli("harvest", "run", slug, "--no-progress").stdout, "job")
    shown = cli("harvest", "job", job_id, "--items")
    assert shown.exit_code == 0, shown.output
    assessed = summary_value(shown.stdout, "DCAT-AP")
    assert re.fullmatch(
        r"3 assessed, \d with violations \(\d+ violations, \d+ warnings\)", assessed
    )
    assert re.search(r"MQA \d+ \((excellent|good|sufficient|bad)\)", shown.stdout)
    data = json.loads(cli("harvest", "job", job_id, "--json").stdout)
    assert data["quality"]["assessed"] == 3


def test_quality_of_a_source(cli: Invoke, catalogs: Catalogs) -> None:
    slug = accepted_source(cli, catalogs.url("catalog.rdf"), "Loopback portal")
    assert cli("harvest", "run", slug, "--no-progress").exit_code == 0
    shown = cli("harvest", "quality", slug)
    assert shown.exit_code == 0, shown.output
    assert "Quality of Loopback portal" in shown.stdout
    assert summary_value(shown.stdout, "datasets scored") == "3"
    assert re.fullmatch(r"\d+\.\d / 405", summary_value(shown.stdout, "MQA average"))
    assert "Datasets to fix first" in shown.stdout
    figures = json.loads(cli("harvest", "quality", slug, "--json").stdout)
    assert figures["datasets"] == 3
    assert sum(figures["bands"].values()) == 3
    assert len(figures["metrics"]) == 23
    assert 0 <= min(figures["metrics"].values()) <= max(figures["metrics"].values()) <= 1
