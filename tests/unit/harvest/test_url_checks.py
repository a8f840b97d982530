from __future__ import annotations

import ipaddress
import json
import logging

import pytest

from moisson.domain.drafts import (
    ContactPointDraft,
    DataserviceDraft,
    DatasetDraft,
    HarvestMeta,
    ResourceDraft,
    SchemaRef,
)
from moisson.harvest.url_checks import metadata_url_problem, percent_encoded, usable_urls

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
INTRANET = (ipaddress.ip_network("10.0.0.0/8"),)


class TestUrlProblem:
    @pytest.mark.parametrize(
        "url",
        [
            "https://data.example.org/file.csv",
            "http://example.org:8080/a?b=c#d",
            "ftp://ftp.example.org/pub/data.zip",
            "https://user:secret@example.org/x",
            "https://donnees.gouv.fr/café",
            "https://exämple.org/",
            "http://93.184.216.34/data",
        ],
    )
    def test_accepts_public_urls(self, url: str) -> None:
        assert metadata_url_problem(url) is None

    @pytest.mark.parametrize(
        ("url", "reason"),
        [
            ("//host\\path\\file.xlsx", "backslashes"),
            ("https://example.org/a file.csv", "spaces"),
            ("file:///etc/passwd", "scheme 'file'"),
            ("javascript:alert(1)", "scheme 'javascript'"),
            ("https:///nohost", "has no host"),
            ("http://example.org:99999/", "Port out of range"),
            ("http://intranet/data", "not a valid host name"),
            ("http://example.123/data", "invalid top-level domain"),
            ("http://127.0.0.1/data", "loopback"),
            ("http://localhost:8080/data", "loopback"),
            ("http://10.1.2.3/data", "private"),
            ("http://[::1]/data", "loopback"),
            ("http://169.254.169.254/latest/meta-data", "link-local"),
        ],
    )
    def test_refuses_with_a_reason(self, url: str, reason: str) -> None:
        problem = metadata_url_problem(url)
        assert problem is not None
        assert reason in problem

    def test_allowed_networks_are_accepted_in_metadata_too(self) -> None:
        assert metadata_url_problem("http://10.1.2.3/data", INTRANET) is None
        assert metadata_url_problem("http://localhost:8080/data", LOOPBACK) is None
        assert metadata_url_problem("http://127.0.0.1/data", INTRANET) is not None


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.levelname, record.getMessage()))


@pytest.fixture
def log() -> tuple[logging.Logger, Lines]:
    logger = logging.Logger("test-url-checks", logging.DEBUG)
    handler = Lines()
    logger.addHandler(handler)
    return logger, handler


class TestUsableUrls:
    def test_drops_each_bad_url_alone_and_names_it(self, log: tuple[logging.Logger, Lines]) -> None:
        logger, handler = log
        draft = DatasetDraft(
            title="T",
            harvest=HarvestMeta(remote_url="http://10.0.0.1/page", uri="javascript:kept"),
            schema=SchemaRef(url="file:///schema.json"),
            resources=(
                ResourceDraft(url="https://ok.example.org/a.csv", title="ok"),
                ResourceDraft(url="//host\\path\\file.xlsx", title="bad"),
                ResourceDraft(url="javascript:alert(4)", title="js"),
                ResourceDraft(
                    url="https://ok.example.org/b.csv",
                    title="with schema",
                    schema=SchemaRef(name="s", url="data:text/plain,x"),
                ),
            ),
            contact_points=(ContactPointDraft(name="n", contact_form="relative/form"),),
        )
        kept = usable_urls(draft, (), logger)
        assert isinstance(kept, DatasetDraft)
        assert [r.title for r in kept.resources] == ["ok", "with schema"]
        assert kept.resources[0] is draft.resources[0]
        assert kept.resources[1].schema_ == SchemaRef(name="s")
        assert kept.harvest.remote_url is None
        assert kept.harvest.uri == "javascript:kept"  # an identifier, not a link
        assert kept.schema_ is None
        assert kept.contact_points == (ContactPointDraft(name="n"),)
        assert kept.title == "T"
        messages = [m for level, m in handler.lines if level == "WARNING"]
        assert len(messages) == len(handler.lines) == 6
        assert messages[0] == (
            "[harvest.remote_url] unusable URL dropped (points to a private address): "
            '"http://10.0.0.1/page"'
        )
        assert (
            "[resources.2.url] unusable URL dropped (scheme 'javascript' is not one of http, "
            'https, ftp, ftps): "javascript:alert(4)"; the resource "js" is not harvested'
        ) in messages
        assert any(m.startswith("[resources.1.url] unusable URL dropped") for m in messages)
        assert any(m.startswith("[resources.3.schema.url]") for m in messages)
        assert any(m.startswith("[schema.url]") for m in messages)
        assert any(m.startswith("[contact_points.0.contact_form]") for m in messages)

    def test_percent_encodes_what_a_url_cannot_hold(
        self, log: tuple[logging.Logger, Lines]
    ) -> None:
        logger, handler = log
        hostile = 'https://example.org/data.csv?a="><script>alert(1)</script>'
        draft = DatasetDraft(
            title="T",
            resources=(
                ResourceDraft(url=hostile, title="q"),
                ResourceDraft(url="https://example.org/a file\t{x}|^`\\.csv", title="s"),
                ResourceDraft(url="  https://example.org/trimmed.csv\n", title="t"),
            ),
        )
        kept = usable_urls(draft, (), logger)
        assert isinstance(kept, DatasetDraft)
        assert [r.url for r in kept.resources] == [
            "https://example.org/data.csv?a=%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
            "https://example.org/a%20file%09%7Bx%7D%7C%5E%60%5C.csv",
            "https://example.org/trimmed.csv",
        ]
        # Trimming says nothing; an encoding is on the log, with both forms.
        assert len(handler.lines) == 2
        level, message = handler.lines[0]
        assert level == "WARNING"
        assert message.startswith("[resources.0.url] characters a URL cannot hold")
        assert json.dumps(hostile) in message

    def test_checks_dataservice_endpoints(self, log: tuple[logging.Logger, Lines]) -> None:
        logger, handler = log
        draft = DataserviceDraft(
            title="API",
            base_api_url="http://127.0.0.1:9200/",
            technical_documentation_url="https://doc.example.org/",
        )
        kept = usable_urls(draft, (), logger)
        assert isinstance(kept, DataserviceDraft)
        assert kept.base_api_url is None
        assert kept.technical_documentation_url == "https://doc.example.org/"
        assert handler.lines[0][1].startswith("[base_api_url] unusable URL dropped")
        assert usable_urls(draft, LOOPBACK, logger) is draft

    def test_a_clean_draft_is_returned_as_is(self, log: tuple[logging.Logger, Lines]) -> None:
        logger, handler = log
        draft = DatasetDraft(
            title="T",
            harvest=HarvestMeta(remote_url="https://example.org/page"),
            resources=(ResourceDraft(url="https://example.org/a.csv", title="a"),),
        )
        assert usable_urls(draft, (), logger) is draft
        assert handler.lines == []


class TestPercentEncoded:
    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("https://example.org/é", "https://example.org/é"),
            ("https://example.org/a%20b", "https://example.org/a%20b"),
            ("https://example.org/\x01\x7f", "https://example.org/%01%7F"),
            ('https://example.org/"<>', "https://example.org/%22%3C%3E"),
        ],
    )
    def test_encodes_only_what_a_url_cannot_hold(self, url: str, expected: str) -> None:
        assert percent_encoded(url) == expected
