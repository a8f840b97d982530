"""Attaching existing datasets to remote records and detaching them (udata's `harvest
attach` / `detach` / `detach-all-from-source`), through the services."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from moisson.errors import InvalidInput, NotFound
from moisson.services.attachments import (
    Attachment,
    attach_datasets,
    detach_dataset,
    detach_source_datasets,
    read_attachments,
)
from moisson.storage.models import Dataset, HarvestPage, HarvestRecord, HarvestSource, Resource

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DOMAIN = "data.example.org"


def dataset(db: Session, slug: str, **harvest: object) -> Dataset:
    found = Dataset(slug=slug, title=slug.title(), **harvest)
    found.resources = [
        Resource(url="https://example.org/file.csv", title="File", harvest={"remote_id": "r1"})
    ]
    db.add(found)
    db.flush()
    return found


class TestReadAttachments:
    def test_semicolon_separated_with_a_header(self) -> None:
        text = "\ufefflocal;remote;note\nmy-dataset;remote-1;x\n 6650c0ffee0000000000beef ; r2 \n"
        assert read_attachments(text) == [
            Attachment(local="my-dataset", remote="remote-1", line=2),
            Attachment(local="6650c0ffee0000000000beef", remote="r2", line=3),
        ]

    def test_missing_columns_are_named(self) -> None:
        with pytest.raises(InvalidInput) as info:
            read_attachments("local,remote\na,b\n")
        assert "found: local,remote" in info.value.message
        with pytest.raises(InvalidInput):
            read_attachments("")


class TestAttach:
    def test_binds_by_slug_or_id_and_unbinds_the_previous_holder(self, db: Session) -> None:
        holder = dataset(db, "old-holder", harvest_domain=DOMAIN, harvest_remote_id="r1")
        by_slug = dataset(db, "by-slug")
        by_id = dataset(db, "by-id")
        version = by_slug.version
        rows = [
            Attachment("by-slug", "r1", 2),
            Attachment(by_id.id, "r2", 3),
        ]
        report = attach_datasets(db, rows, DOMAIN, now=NOW)
        assert (report.attached, report.errors) == (2, [])
        assert (by_slug.harvest_domain, by_slug.harvest_remote_id) == (DOMAIN, "r1")
        assert by_slug.last_modified == NOW
        assert by_slug.version == version + 1
        assert (by_id.harvest_domain, by_id.harvest_remote_id) == (DOMAIN, "r2")
        assert (holder.harvest_domain, holder.harvest_remote_id) == (None, None)

    def test_a_binding_of_another_domain_is_left_alone(self, db: Session) -> None:
        other = dataset(db, "other", harvest_domain="elsewhere.org", harvest_remote_id="r1")
        dataset(db, "mine")
        attach_datasets(db, [Attachment("mine", "r1", 2)], DOMAIN, now=NOW)
        assert (other.harvest_domain, other.harvest_remote_id) == ("elsewhere.org", "r1")

    def test_bad_rows_are_errors_that_never_stop_the_run(self, db: Session) -> None:
        dataset(db, "good")
        rows = [
            Attachment("ghost", "r1", 2),
            Attachment("good", "", 3),
            Attachment("good", "r3", 4),
        ]
        report = attach_datasets(db, rows, DOMAIN, now=NOW)
        assert report.attached == 1
        assert report.errors == [
            "line 2: unknown dataset 'ghost'",
            "line 3: 'local' and 'remote' must both be given",
        ]

    def test_an_empty_domain_is_refused(self, db: Session) -> None:
        with pytest.raises(InvalidInput):
            attach_datasets(db, [], "  ", now=NOW)


HARVESTED = {
    "harvest_source_id": "6650c0ffee0000000000beef",
    "harvest_domain": DOMAIN,
    "harvest_remote_id": "r1",
    "harvest_backend": "DCAT",
    "harvest_remote_url": "https://data.example.org/r1",
    "harvest_archived_reason": "not-on-remote",
    "harvest_extra": {"ckan_name": "r-one"},
}


class TestDetach:
    def test_removes_harvest_metadata_from_the_dataset_and_its_resources(self, db: Session) -> None:
        found = dataset(db, "harvested", **HARVESTED)
        detached = detach_dataset(db, "harvested")
        assert detached.id == found.id
        for column in HARVESTED:
            assert getattr(found, column) in (None, {}), column
        assert [r.harvest for r in found.resources] == [{}]

    def test_forgets_the_incremental_state_that_pointed_at_it(self, db: Session) -> None:
        source = HarvestSource(name="S", slug="s", url="https://x.org", backend="dcat")
        db.add(source)
        db.flush()
        found = dataset(db, "harvested", **{**HARVESTED, "harvest_source_id": source.id})
        kept = dataset(db, "kept", **{**HARVESTED, "harvest_source_id": source.id})
        for remote_id, obj in (("r1", found), ("r2", kept)):
            db.add(
                HarvestRecord(
                    source_id=source.id,
                    remote_id=remote_id,
                    kind="dataset",
                    content_hash="h",
                    dataset_id=obj.id,
                )
            )
        db.add(HarvestPage(source_id=source.id, key="page-1", digest="d", records=[]))
        db.flush()
        detach_dataset(db, "harvested")
        db.expire_all()
        assert db.scalars(select(HarvestRecord.remote_id)).all() == ["r2"]
        assert db.scalars(select(HarvestPage)).all() == []

    def test_unknown_dataset(self, db: Session) -> None:
        with pytest.raises(NotFound) as info:
            detach_dataset(db, "nope")
        assert info.value.message == "Unknown dataset 'nope' (give its slug or id)"

    def test_detach_all_of_a_source(self, db: Session) -> None:
        first = dataset(db, "first", **HARVESTED)
        second = dataset(db, "second", **{**HARVESTED, "harvest_remote_id": "r2"})
        elsewhere = dataset(db, "elsewhere", harvest_source_id="0" * 24, harvest_remote_id="x")
        assert detach_source_datasets(db, HARVESTED["harvest_source_id"]) == 2  # type: ignore[arg-type]
        assert (first.harvest_remote_id, second.harvest_remote_id) == (None, None)
        assert elsewhere.harvest_remote_id == "x"
