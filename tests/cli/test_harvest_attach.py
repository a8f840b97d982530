"""`moisson harvest attach / detach / detach-all-from-source`, and what they change for the
next harvest."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.cli.conftest import Catalogs, Invoke, accepted_source, created_source

from moisson.storage.models import Dataset


def write_csv(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bindings.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def datasets(db: Session) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count()).select_from(Dataset)) or 0)


class TestAttach:
    def test_an_attached_dataset_is_updated_by_the_next_harvest(
        self, cli: Invoke, catalogs: Catalogs, db: Session, tmp_path: Path
    ) -> None:
        mine = Dataset(slug="my-air", title="Our own air dataset")
        db.add(mine)
        db.commit()
        bindings = write_csv(tmp_path, "local;remote\nmy-air;air-quality\n")
        result = cli("harvest", "attach", bindings, "127.0.0.1")
        assert result.exit_code == 0, result.output
        assert result.stdout == "Attached 1 dataset(s) to 127.0.0.1.\n"

        created = created_source(cli, catalogs.url("catalog.rdf"), "Air")
        slug = created["slug"]
        assert cli("harvest", "validate", slug).exit_code == 0
        assert cli("harvest", "run", slug).exit_code == 0
        assert datasets(db) == 3  # not 4: the attached dataset was updated, not duplicated
        updated = db.get(Dataset, mine.id)
        assert updated is not None
        assert updated.title == "Air quality measurements"
        assert updated.harvest_source_id == created["id"]

    def test_re_attaching_a_harvested_record_moves_it_to_another_dataset(
        self, cli: Invoke, catalogs: Catalogs, db: Session, tmp_path: Path
    ) -> None:
        slug = accepted_source(cli, catalogs.url("catalog.rdf"), "Air")
        assert cli("harvest", "run", slug).exit_code == 0
        first = db.scalars(select(Dataset).where(Dataset.harvest_remote_id == "trees")).one()
        mine = Dataset(slug="our-trees", title="Our trees")
        db.add(mine)
        db.commit()

        bindings = write_csv(tmp_path, "local;remote\nour-trees;trees\n")
        assert cli("harvest", "attach", bindings, "127.0.0.1").exit_code == 0
        # The page and the record are unchanged remotely: the run must still re-map the
        # record onto the newly bound dataset rather than trust its incremental state.
        again = cli("harvest", "run", slug, "--no-progress")
        assert again.exit_code == 0, again.output
        db.expire_all()
        assert db.get(Dataset, mine.id).title == "Trees of the parks"  # type: ignore[union-attr]
        former = db.get(Dataset, first.id)
        assert former is not None
        assert former.harvest_remote_id is None
        assert former.archived_at is None

    def test_rows_that_fail_are_reported_and_exit_1(
        self, cli: Invoke, db: Session, tmp_path: Path
    ) -> None:
        db.add(Dataset(slug="known", title="Known"))
        db.commit()
        bindings = write_csv(tmp_path, "local;remote\nknown;r1\nghost;r2\n")
        result = cli("harvest", "attach", bindings, "data.example.org", "--json")
        assert result.exit_code == 1
        assert json.loads(result.stdout) == {
            "attached": 1,
            "errors": ["line 3: unknown dataset 'ghost'"],
        }

    def test_a_file_without_the_columns_is_refused(self, cli: Invoke, tmp_path: Path) -> None:
        result = cli("harvest", "attach", write_csv(tmp_path, "id,remote\n"), "example.org")
        assert result.exit_code == 2
        assert result.stderr.startswith("Error: The attach file needs the columns")

    def test_a_missing_file_is_a_usage_error(self, cli: Invoke, tmp_path: Path) -> None:
        result = cli("harvest", "attach", str(tmp_path / "nope.csv"), "example.org")
        assert result.exit_code == 2


class TestDetach:
    def test_a_detached_dataset_is_left_alone_by_the_next_harvest(
        self, cli: Invoke, catalogs: Catalogs, db: Session
    ) -> None:
        slug = accepted_source(cli, catalogs.url("catalog.rdf"), "Air")
        cli("harvest", "run", slug)
        air = db.scalars(select(Dataset).where(Dataset.harvest_remote_id == "air-quality")).one()

        result = cli("harvest", "detach", air.slug)
        assert result.exit_code == 0, result.output
        assert result.stdout == f"Detached dataset {air.slug} ({air.id}) from harvesting.\n"
        db.expire_all()
        detached = db.get(Dataset, air.id)
        assert detached is not None
        assert (detached.harvest_source_id, detached.harvest_remote_id) == (None, None)

        assert cli("harvest", "run", slug, "--no-progress").exit_code == 0
        assert datasets(db) == 4  # the record got a new dataset; the detached one stays
        db.expire_all()
        assert db.get(Dataset, air.id).archived_at is None  # type: ignore[union-attr]

    def test_unknown_dataset(self, cli: Invoke) -> None:
        result = cli("harvest", "detach", "nope")
        assert result.exit_code == 2
        assert result.stderr == "Error: Unknown dataset 'nope' (give its slug or id)\n"

    def test_detach_all_from_source(self, cli: Invoke, catalogs: Catalogs, db: Session) -> None:
        slug = accepted_source(cli, catalogs.url("catalog.rdf"), "Air")
        cli("harvest", "run", slug)
        result = cli("harvest", "detach-all-from-source", slug)
        assert result.exit_code == 0
        assert result.stdout == "Detached 3 dataset(s) of 'Air'.\n"
        assert "Warning" in result.stderr
        db.expire_all()
        assert db.scalars(select(Dataset.harvest_source_id)).all() == [None, None, None]
