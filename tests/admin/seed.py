"""Data for the admin tests: people with keys, a declared backend, a finished harvest.

Shared by the TestClient tests (`tests/admin`) and the browser tests (`tests/browser`).
The harvest is written as the engine would leave it (job, items, errors, logs, dataset,
resources, stored record), so the job and dataset pages are tested without the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy.orm import Session
from tests.factories import SourceFactory, stored

from moisson import backends as registry
from moisson.config import Settings
from moisson.domain.capabilities import BackendInfo, ExtraConfigSpec, FeatureSpec, FilterSpec
from moisson.domain.enums import MemberRole
from moisson.services.organizations import add_member, create_organization
from moisson.services.users import create_user
from moisson.storage.models import (
    Dataset,
    HarvestErrorRow,
    HarvestItem,
    HarvestJob,
    HarvestLogRow,
    HarvestRecord,
    HarvestSource,
    Organization,
    Resource,
    User,
)

FORM_BACKEND = BackendInfo(
    id="admin-form-test",
    label="Form test",
    filters=(
        FilterSpec("tag", "Tag", str, "A tag of the remote catalog"),
        FilterSpec("year", "Year", int, "A year"),
    ),
    features=(FeatureSpec("geodcatap", "GeoDCAT-AP", "Ask for GeoDCAT-AP output", False),),
    extra_configs=(ExtraConfigSpec("remote_url_prefix", "Remote URL prefix", str, "A prefix"),),
)


class _DeclaredOnly:
    """A registry entry declaring capabilities for the form; the admin tests never harvest."""

    info: ClassVar[BackendInfo] = FORM_BACKEND

    def gather(self, ctx: Any) -> Iterator[Any]:
        raise AssertionError("the admin tests never harvest with this backend")

    def map(self, record: Any, ctx: Any) -> Any:
        raise AssertionError("the admin tests never harvest with this backend")


def register_form_backend() -> None:
    registry.all_backends()  # load the built-in modules first
    registry.register(_DeclaredOnly)  # type: ignore[arg-type]


def unregister_form_backend() -> None:
    registry._REGISTRY.pop(FORM_BACKEND.id, None)


def with_backends(settings: Settings, *extra: str) -> Settings:
    harvest = settings.harvest.model_copy(update={"backends": [*settings.harvest.backends, *extra]})
    return settings.model_copy(update={"harvest": harvest})


@dataclass
class Person:
    user: User
    key: str


@dataclass
class People:
    sysadmin: Person
    owner: Person
    stranger: Person
    org: Organization


def make_people(session: Session, settings: Settings) -> People:
    def person(email: str, **kwargs: Any) -> Person:
        created = create_user(session, settings, email, **kwargs)
        return Person(created.user, created.api_key)

    people = People(
        sysadmin=person("root@example.test", sysadmin=True, first_name="Rosa"),
        owner=person("owner@example.test", first_name="Olga"),
        stranger=person("stranger@example.test"),
        org=create_organization(session, "Ville de Rennes"),
    )
    add_member(session, people.org, "owner@example.test", MemberRole.ADMIN)
    session.flush()
    return people


def make_source(session: Session, name: str, owner: User, **values: Any) -> HarvestSource:
    values.setdefault("url", "https://data.example.test/catalog.xml")
    values.setdefault("backend", "csw-iso-19139")
    return stored(session, SourceFactory.build(name=name, owner_id=owner.id, **values))


@dataclass
class Harvest:
    job: HarvestJob
    done_item: HarvestItem
    failed_item: HarvestItem
    dataset: Dataset


RECORD_PAYLOAD = (
    '<gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd">arbres</gmd:MD_Metadata>'
)


def make_harvest(
    session: Session,
    source: HarvestSource,
    *,
    when: datetime | None = None,
    status: str = "done-errors",
    job: HarvestJob | None = None,
) -> Harvest:
    """A finished job (a new one, or `job` brought to its end): one item done (with its
    dataset, two resources and the stored record), one failed (with an error and log
    lines), one skipped."""
    start = when or datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    job = job or HarvestJob(source_id=source.id, created=start)
    job.status = status
    job.started = start + timedelta(seconds=1)
    job.ended = start + timedelta(seconds=30)
    job.items_total = 3
    job.items_done = job.items_failed = job.items_skipped = 1
    job.items_datasets = 3
    session.add(job)
    session.flush()
    dataset = Dataset(
        slug=f"arbres-{job.id}",
        title="Arbres d'alignement",
        description="Les arbres des rues de la ville.\n\nMis à jour chaque mois.",
        tags=["arbres", "environnement"],
        license="lov2",
        frequency="monthly",
        harvest_source_id=source.id,
        harvest_backend="CSW-ISO-19139",
        harvest_domain="data.example.test",
        harvest_remote_id="arbres-2026",
        harvest_remote_url="https://data.example.test/arbres",
        harvest_modified_at=start,
        harvest_last_update=start,
    )
    dataset.resources = [
        Resource(
            url="https://data.example.test/arbres.csv", title="arbres.csv", format="csv", position=0
        ),
        Resource(
            url="https://data.example.test/arbres.json",
            title="arbres.json",
            format="json",
            position=1,
        ),
    ]
    session.add(dataset)
    session.flush()
    items = []
    for seq, (remote_id, status_, dataset_id) in enumerate(
        (
            ("arbres-2026", "done", dataset.id),
            ("broken-record", "failed", None),
            ("draft", "skipped", None),
        )
    ):
        item = HarvestItem(
            job_id=job.id,
            seq=seq,
            remote_id=remote_id,
            kind="dataset",
            status=status_,
            dataset_id=dataset_id,
            created=start,
            started=start,
            ended=start + timedelta(seconds=2),
        )
        session.add(item)
        items.append(item)
    session.flush()
    session.add(
        HarvestErrorRow(
            job_id=job.id,
            item_id=items[1].id,
            message="The record has no title: add a gmd:title to publish it",
            details="Traceback: InvalidItem",
        )
    )
    session.add(HarvestLogRow(item_id=items[1].id, seq=0, level="WARNING", message="no abstract"))
    session.merge(  # one stored record per source and remote id, as the engine keeps
        HarvestRecord(
            source_id=source.id,
            remote_id="arbres-2026",
            kind="dataset",
            content_hash="0" * 64,
            payload=RECORD_PAYLOAD,
            dataset_id=dataset.id,
            job_id=job.id,
        )
    )
    session.flush()
    return Harvest(job=job, done_item=items[0], failed_item=items[1], dataset=dataset)
