"""A line logged while an item is processed names its source, its job and its record."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session
from tests.fakes import FakeRecord
from tests.integration.harvest.conftest import Runner, make_source

from moisson.config import Settings
from moisson.logging import configure_logging


@pytest.fixture
def json_log(settings: Settings) -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging(
        settings.model_copy(update={"log_format": "json", "log_level": "DEBUG"}), stream
    )
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_a_backend_line_during_an_item_carries_the_three_ids(
    db: Session, harvest: Runner, json_log: io.StringIO
) -> None:
    source = make_source(db)
    run = harvest(source, [FakeRecord("first"), FakeRecord("second")])

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    mapping = [line for line in lines if line["message"].startswith("Mapping ")]
    assert [(x["source_id"], x["job_id"], x["remote_id"], x["message"]) for x in mapping] == [
        (source.id, run.job.id, "first", "Mapping first"),
        (source.id, run.job.id, "second", "Mapping second"),
    ]
    assert mapping[0]["logger"] == "moisson.harvest.backends.fake"
