"""Matching remote records to local objects (docs/udata-behaviour.md §6.5), ownership, applying
drafts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload
from tests.fakes import FakeRecord
from tests.integration.harvest.conftest import Runner, count, make_org, make_source, make_user

from moisson.domain.drafts import (
    ContactPointDraft,
    DataserviceDraft,
    DatasetDraft,
    ResourceDraft,
)
from moisson.domain.enums import Frequency, ItemKind
from moisson.storage.models import ContactPoint, Dataservice, Dataset

URI = "https://data.example.org/datasets/42"


def only_dataset(db: Session) -> Dataset:
    return db.scalars(select(Dataset).options(selectinload(Dataset.resources))).one()


class TestMatching:
    def test_a_uri_id_matches_across_sources_and_domains(
        self, db: Session, harvest: Runner
    ) -> None:
        org = make_org(db)
        first = make_source(db, url="https://one.test/", organization=org)
        second = make_source(db, url="https://two.test/", organization=org)
        harvest(first, [FakeRecord(URI, title="v1")])
        run = harvest(second, [FakeRecord(URI, title="v2")])
        assert run.statuses == ["done"]
        dataset = only_dataset(db)
        assert dataset.title == "v2"
        assert (dataset.harvest_source_id, dataset.harvest_domain) == (second.id, "two.test")

    def test_a_plain_id_from_another_domain_makes_a_new_object(
        self, db: Session, harvest: Runner
    ) -> None:
        org = make_org(db)
        harvest(make_source(db, url="https://one.test/", organization=org), [FakeRecord("42")])
        harvest(make_source(db, url="https://two.test/", organization=org), [FakeRecord("42")])
        assert count(db, Dataset) == 2

    def test_a_plain_id_matches_by_domain_for_a_new_source(
        self, db: Session, harvest: Runner
    ) -> None:
        org = make_org(db)
        harvest(make_source(db, url="https://one.test/a", organization=org), [FakeRecord("42")])
        newer = make_source(db, url="https://one.test/b", organization=org)
        harvest(newer, [FakeRecord("42")])
        assert count(db, Dataset) == 1
        assert only_dataset(db).harvest_source_id == newer.id

    def test_a_url_change_keeps_objects_by_source_id(self, db: Session, harvest: Runner) -> None:
        source = make_source(db, url="https://old.test/catalog")
        harvest(source, [FakeRecord("42")])
        first_id = only_dataset(db).id
        source.url = "https://new.test/catalog"
        db.commit()
        harvest(source, [FakeRecord("42")])
        dataset = only_dataset(db)
        assert dataset.id == first_id
        assert dataset.harvest_domain == "new.test"
        assert dataset.harvest_source_url == "https://new.test/catalog"

    def test_a_dataset_never_matches_a_dataservice(self, db: Session, harvest: Runner) -> None:
        source = make_source(db)
        harvest(source, [FakeRecord("42")])
        harvest(source, [FakeRecord("42", kind=ItemKind.DATASERVICE)])
        assert (count(db, Dataset), count(db, Dataservice)) == (1, 1)


class TestOwnership:
    def test_a_uri_owned_by_another_organization_is_not_taken(
        self, db: Session, harvest: Runner
    ) -> None:
        mine, theirs = make_org(db, "Mine"), make_org(db, "Theirs")
        harvest(make_source(db, url="https://one.test/", organization=theirs), [FakeRecord(URI)])
        run = harvest(
            make_source(db, url="https://two.test/", organization=mine), [FakeRecord(URI)]
        )
        assert run.job.status == "done-errors"
        assert run.item_errors(db, run.items[0]) == [
            f'Item has another owner: organization "Theirs" ({theirs.id})'
        ]
        assert only_dataset(db).organization_id == theirs.id

    def test_a_same_domain_id_owned_by_another_user_is_not_taken(
        self, db: Session, harvest: Runner
    ) -> None:
        ann, bob = make_user(db), make_user(db)
        harvest(make_source(db, url="https://one.test/a", owner=ann), [FakeRecord("7")])
        run = harvest(make_source(db, url="https://one.test/b", owner=bob), [FakeRecord("7")])
        assert run.statuses == ["failed"]
        assert run.item_errors(db, run.items[0])[0].startswith('Item has another owner: user "Ann"')

    def test_a_new_object_belongs_to_the_sources_organization(
        self, db: Session, harvest: Runner
    ) -> None:
        org, user = make_org(db), make_user(db)
        harvest(make_source(db, organization=org), [FakeRecord("1")])
        dataset = only_dataset(db)
        assert (dataset.organization_id, dataset.owner_id) == (org.id, None)
        harvest(make_source(db, url="https://other.test/", owner=user), [FakeRecord("1")])
        owned = db.scalars(select(Dataset).where(Dataset.owner_id == user.id)).one()
        assert owned.organization_id is None


class TestApplying:
    def test_resources_keep_their_ids_and_are_never_removed(
        self, db: Session, harvest: Runner
    ) -> None:
        source = make_source(db)
        first = [
            ResourceDraft(url="https://remote.test/a.csv", title="A"),
            ResourceDraft(url="https://remote.test/b.csv", title="B"),
        ]
        harvest(source, [FakeRecord("1", resources=first)])
        before = {r.url: r.id for r in only_dataset(db).resources}
        second = [
            ResourceDraft(url="https://remote.test/b.csv", title="B renamed"),
            ResourceDraft(url="https://remote.test/c.csv", title="C"),
        ]
        harvest(source, [FakeRecord("1", resources=second)])
        db.expire_all()
        resources = only_dataset(db).resources
        assert [r.url for r in resources] == [
            "https://remote.test/b.csv",
            "https://remote.test/c.csv",
            "https://remote.test/a.csv",
        ]
        assert resources[0].id == before["https://remote.test/b.csv"]
        assert resources[0].title == "B renamed"
        assert resources[2].id == before["https://remote.test/a.csv"]

    def test_layers_of_one_wms_url_are_told_apart_by_title(
        self, db: Session, harvest: Runner
    ) -> None:
        wms = "https://remote.test/wms"
        layers = [
            ResourceDraft(url=wms, title="Roads", format="wms"),
            ResourceDraft(url=wms, title="Rivers", format="wms"),
        ]
        source = make_source(db)
        harvest(source, [FakeRecord("1", resources=layers)])
        ids = [r.id for r in only_dataset(db).resources]
        harvest(source, [FakeRecord("1", title="again", resources=layers)])
        db.expire_all()
        assert [r.id for r in only_dataset(db).resources] == ids

    def test_frequency_none_keeps_the_old_value(self, db: Session, harvest: Runner) -> None:
        source = make_source(db)
        weekly = DatasetDraft(title="T", frequency=Frequency.WEEKLY)
        harvest(source, [FakeRecord("1", draft=weekly)])
        harvest(source, [FakeRecord("1", draft=DatasetDraft(title="T2"))])
        db.expire_all()
        assert only_dataset(db).frequency == "weekly"

    def test_contact_points_are_shared_per_producer(self, db: Session, harvest: Runner) -> None:
        org = make_org(db)
        contact = ContactPointDraft(name="Desk", email="desk@remote.test")
        drafts = [
            FakeRecord("1", draft=DatasetDraft(title="A", contact_points=(contact,))),
            FakeRecord("2", draft=DatasetDraft(title="B", contact_points=(contact,))),
        ]
        harvest(make_source(db, organization=org), drafts)
        points = db.scalars(select(ContactPoint)).all()
        assert len(points) == 1
        assert points[0].organization_id == org.id
        datasets = db.scalars(select(Dataset)).all()
        assert all(d.contact_point_ids == [points[0].id] for d in datasets)

    def test_slugs_are_unique(self, db: Session, harvest: Runner) -> None:
        run = harvest(
            make_source(db), [FakeRecord("1", title="Same"), FakeRecord("2", title="Same")]
        )
        assert run.statuses == ["done", "done"]
        assert sorted(db.scalars(select(Dataset.slug))) == ["same", "same-1"]

    def test_a_dataservice_links_the_datasets_it_serves(self, db: Session, harvest: Runner) -> None:
        catalog = [
            FakeRecord("https://remote.test/ds/1"),
            FakeRecord("ds-2"),
            FakeRecord(
                "svc",
                kind=ItemKind.DATASERVICE,
                served_datasets=("https://remote.test/ds/1", "2", "unknown"),
            ),
        ]
        harvest(make_source(db), catalog)
        service = db.scalars(select(Dataservice)).one()
        by_remote = {d.harvest_remote_id: d.id for d in db.scalars(select(Dataset))}
        assert service.dataset_ids == [by_remote["https://remote.test/ds/1"], by_remote["ds-2"]]
        draft = DataserviceDraft(title="svc")
        assert draft.served_datasets == ()
