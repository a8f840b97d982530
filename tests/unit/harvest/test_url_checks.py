from __future__ import annotations

import ipaddress

import pytest

from moisson.domain.drafts import DataserviceDraft, DatasetDraft, HarvestMeta, ResourceDraft
from moisson.domain.exceptions import InvalidItem
from moisson.harvest.url_checks import check_draft_urls, url_problem

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
        assert url_problem(url) is None

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
        problem = url_problem(url)
        assert problem is not None
        assert reason in problem

    def test_allowed_networks_are_accepted_in_metadata_too(self) -> None:
        assert url_problem("http://10.1.2.3/data", INTRANET) is None
        assert url_problem("http://localhost:8080/data", LOOPBACK) is None
        assert url_problem("http://127.0.0.1/data", INTRANET) is not None


class TestCheckDraftUrls:
    def test_names_every_bad_url_of_a_dataset(self) -> None:
        draft = DatasetDraft(
            title="T",
            harvest=HarvestMeta(remote_url="http://10.0.0.1/page"),
            resources=(
                ResourceDraft(url="https://ok.example.org/a.csv", title="ok"),
                ResourceDraft(url="//host\\path\\file.xlsx", title="bad"),
            ),
        )
        with pytest.raises(InvalidItem) as error:
            check_draft_urls(draft)
        message = error.value.message
        assert message.startswith("Validation error:\n- ")
        assert "[harvest.remote_url] invalid URL (points to a private address)" in message
        assert "[resources.1.url]" in message
        assert "resources.0" not in message

    def test_checks_dataservice_endpoints(self) -> None:
        draft = DataserviceDraft(title="API", base_api_url="http://127.0.0.1:9200/")
        with pytest.raises(InvalidItem, match=r"\[base_api_url\]"):
            check_draft_urls(draft)
        check_draft_urls(draft, LOOPBACK)

    def test_a_clean_draft_passes(self) -> None:
        check_draft_urls(DatasetDraft(title="T"))
