"""The log formats and the ids bound through `log_context`."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from moisson.config import Settings
from moisson.logging import configure_logging, current_log_context, log_context


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, its handlers and level put back after the test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def configured(log_format: str) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(Settings(_env_file=None, log_format=log_format), stream)  # type: ignore[call-arg]
    return stream


def test_json_lines_carry_the_bound_ids(root_logger: logging.Logger) -> None:
    stream = configured("json")
    log = logging.getLogger("moisson.test")
    with log_context(source_id="s1", job_id="j1"):
        log.info("job line")
        with log_context(remote_id="r1"):
            log.warning("item %s", "line")
    log.info("outside")

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [
        (x["message"], x.get("source_id"), x.get("job_id"), x.get("remote_id")) for x in lines
    ] == [
        ("job line", "s1", "j1", None),
        ("item line", "s1", "j1", "r1"),
        ("outside", None, None, None),
    ]
    assert lines[1]["level"] == "WARNING"
    assert lines[1]["logger"] == "moisson.test"


def test_text_lines_show_the_ids_readably(root_logger: logging.Logger) -> None:
    stream = configured("text")
    with log_context(source_id="s1", job_id="j1", remote_id="r1"):
        logging.getLogger("moisson.test").info("hello")
    logging.getLogger("moisson.test").info("bare")

    first, second = stream.getvalue().splitlines()
    assert first.endswith("INFO    moisson.test [source=s1 job=j1 item=r1] hello")
    assert second.endswith("INFO    moisson.test bare")


def test_exceptions_are_kept_in_json(root_logger: logging.Logger) -> None:
    stream = configured("json")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("moisson.test").exception("failed")
    line = json.loads(stream.getvalue())
    assert "ValueError: boom" in line["exception"]


def test_contexts_do_not_leak_between_threads() -> None:
    seen: list[dict[str, str]] = []
    with log_context(job_id="main"):
        thread = threading.Thread(target=lambda: seen.append(dict(current_log_context())))
        thread.start()
        thread.join()
        assert current_log_context() == {"job_id": "main"}
    assert seen == [{}]
    assert current_log_context() == {}
