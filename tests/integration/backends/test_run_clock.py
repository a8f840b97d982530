"""Backends read the time from their run's context, never the system clock: a date after
the run's "now" is dropped as a typo, so stopping the clock before the recorded catalogs
were written drops their dates, and only then."""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from tests.conftest import SHARED_FIXTURES
from tests.integration.backends.dcat_harness import BASE, harvest

from moisson.backends.ckan import CkanBackend
from moisson.domain.clock import FixedClock, naive_utc, system_clock
from moisson.domain.enums import ItemKind
from moisson.domain.records import RemoteRecord, content_hash
from moisson.harvest.context import make_context

SRC = Path(__file__).resolve().parents[3] / "src" / "moisson"
BEFORE_THE_RECORDINGS = FixedClock(datetime(1990, 1, 1, tzinfo=UTC))


def ckan_created_at(clock: object) -> datetime | None:
    package = json.loads(
        (SHARED_FIXTURES / "ckan" / "demo.ckan.org-2017" / "packages.json").read_text()
    )["result"]["results"][0]
    with httpx.Client() as client:
        ctx = make_context(CkanBackend.info, "https://demo.ckan.org", client, clock=clock)  # type: ignore[arg-type]
        record = RemoteRecord(
            remote_id=package["id"],
            kind=ItemKind.DATASET,
            content_hash=content_hash(package),
            payload=package,
        )
        return CkanBackend().map(record, ctx).harvest.created_at


def test_a_ckan_package_keeps_its_creation_date_only_when_it_is_before_the_run_clock() -> None:
    assert ckan_created_at(system_clock) == datetime(2017, 8, 5)
    assert ckan_created_at(BEFORE_THE_RECORDINGS) is None


def test_dcat_modified_dates_are_compared_with_the_run_clock() -> None:
    def modified(clock: object) -> list[datetime | None]:
        run = harvest(BASE + "catalog.xml", clock=clock)  # type: ignore[arg-type]
        return [
            resource.harvest.modified_at
            for draft in run.datasets.values()
            for resource in draft.resources
        ]

    now = modified(system_clock)
    assert any(value is not None for value in now)
    assert modified(BEFORE_THE_RECORDINGS) == [None] * len(now)


def test_a_fixed_clock_tells_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone"):
        FixedClock(datetime(2026, 1, 1))
    assert naive_utc(datetime(2026, 1, 1, 12, tzinfo=UTC)) == datetime(2026, 1, 1, 12)


@pytest.mark.parametrize("package", ["backends", "mapping"])
def test_no_backend_or_mapping_asks_the_system_clock(package: str) -> None:
    calls = []
    for path in sorted((SRC / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in {"now", "utcnow", "today"}
                and isinstance(node.value, ast.Name)
                and node.value.id in {"datetime", "date"}
            ):
                calls.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert calls == []
