"""The API under hostile input: oversized and endless bodies, pathological JSON, huge query
values, huge or deep `X-Fields` masks, odd path segments.

Every answer is a 4xx with a JSON `{"message": ...}` body (the checked client fails on any
5xx and on any body off the reference), and a refused write changes nothing stored.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from tests.api import conftest as api_fixtures
from tests.api.conftest import (
    CheckedClient,
    People,
    RecordingRunner,
    make_job,
    make_source,
    stored_state,
)

from moisson.api import create_app, strict_json
from moisson.api.masks import MAX_DEPTH as MASK_MAX_DEPTH
from moisson.api.masks import MAX_LENGTH as MASK_MAX_LENGTH
from moisson.api.pagination import MAX_PAGE, MAX_PAGE_SIZE
from moisson.config import Settings
from moisson.storage.models import HarvestSource

# The API tests' fixtures, used here by name (no conftest of our own in this directory).
app = api_fixtures.app
client = api_fixtures.client
people = api_fixtures.people
runner = api_fixtures.runner
declared_backends = api_fixtures.declared_backends

SOURCES = "/api/1/harvest/sources/"
NUL_REFUSED = "NUL characters are not allowed"
GOOD = {"name": "Good", "url": "https://good.example.test/catalog.rdf", "backend": "dcat"}
MIB = 1024 * 1024


@pytest.fixture
def source(db: Session, people: People) -> HarvestSource:
    made = make_source(db, "Target", owner_id=people.owner.user.id)
    make_job(db, made)
    db.commit()
    return made


def writes(source: HarvestSource) -> list[str]:
    """Every endpoint that reads a JSON body (schedule reads a JSON string or raw text)."""
    return [
        f"POST {SOURCES}",
        "POST /api/1/harvest/source/preview/",
        f"PUT /api/1/harvest/source/{source.id}/",
        f"POST /api/1/harvest/source/{source.id}/validate/",
    ]


def send(client: CheckedClient, call: str, body: bytes | Any, headers: dict[str, str]) -> Any:
    method, url = call.split(" ", 1)
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.request(
        method, url, content=content, headers={**headers, "Content-Type": "application/json"}
    )


# -- request body size ------------------------------------------------------------------------


def test_the_default_cap_is_one_mebibyte() -> None:
    assert Settings(_env_file=None).max_request_bytes == MIB  # type: ignore[call-arg]


@pytest.mark.parametrize("index", range(4))
def test_a_body_declared_too_large_is_413_on_every_write(
    client: CheckedClient, people: People, db: Session, source: HarvestSource, index: int
) -> None:
    body = json.dumps({**GOOD, "description": "x" * MIB}).encode()
    before = stored_state(db)
    response = send(client, writes(source)[index], body, people.sysadmin.headers)
    assert response.status_code == 413
    assert response.json() == {
        "message": f"Request body too large: at most {MIB} bytes are accepted"
    }
    assert stored_state(db) == before


def test_a_schedule_body_too_large_is_413(
    client: CheckedClient, people: People, db: Session, source: HarvestSource
) -> None:
    before = stored_state(db)
    call = f"POST /api/1/harvest/source/{source.id}/schedule/"
    response = send(client, call, b'"' + b" " * MIB + b'0 1 * * *"', people.sysadmin.headers)
    assert response.status_code == 413
    assert stored_state(db) == before


def test_a_body_of_exactly_the_cap_is_accepted(client: CheckedClient, people: People) -> None:
    compact = json.dumps(GOOD).encode()
    body = compact[:-1] + b" " * (MIB - len(compact)) + b"}"
    assert len(body) == MIB
    response = send(client, f"POST {SOURCES}", body, people.owner.headers)
    assert response.status_code == 201, response.text


def test_a_chunked_body_without_length_is_capped(
    client: CheckedClient, people: People, db: Session
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "Chunked", "description": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    before = stored_state(db)
    response = client.post(
        SOURCES,
        content=chunks(),
        headers={**people.owner.headers, "Content-Type": "application/json"},
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert stored_state(db) == before


def test_the_cap_follows_the_settings(
    settings: Settings, session_factory: sessionmaker[Session], people: People
) -> None:
    small = create_app(
        settings.model_copy(update={"max_request_bytes": 300}), session_factory=session_factory
    )
    with CheckedClient(small, base_url="http://moisson.test") as checked:
        padded = json.dumps({**GOOD, "description": "d" * 150}).encode()
        assert 200 < len(padded) <= 300
        assert send(checked, f"POST {SOURCES}", padded, people.owner.headers).status_code == 201
        too_big = json.dumps({**GOOD, "description": "d" * 300}).encode()
        assert send(checked, f"POST {SOURCES}", too_big, people.owner.headers).status_code == 413


def _asgi_post_endless_body(app: FastAPI, path: str, key: str) -> tuple[int, bytes, int]:
    """POST a chunked body that never ends, straight through ASGI: (status, body, chunks
    the app pulled). A server that buffered the body before answering would never return."""
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b" " * 65536, "more_body": True}

    async def record(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"moisson.test"),
            (b"content-type", b"application/json"),
            (b"transfer-encoding", b"chunked"),
            (b"x-api-key", key.encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("moisson.test", 80),
        "state": {},
    }
    asyncio.run(asyncio.wait_for(app(scope, receive, record), timeout=30))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body, pulled


def test_an_endless_chunked_body_is_cut_at_the_cap(
    app: FastAPI, people: People, db: Session
) -> None:
    before = stored_state(db)
    status, body, pulled = _asgi_post_endless_body(app, SOURCES, people.owner.key)
    assert status == 413
    assert json.loads(body)["message"].startswith("Request body too large")
    assert pulled == MIB // 65536 + 1  # stopped at the first chunk past the cap
    assert stored_state(db) == before


# -- pathological JSON ------------------------------------------------------------------------

DEEP_ARRAYS = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECTS = b'{"a":' * 100_000 + b"1" + b"}" * 100_000


@pytest.mark.parametrize("body", [DEEP_ARRAYS, DEEP_OBJECTS], ids=["arrays", "objects"])
@pytest.mark.parametrize("index", range(4))
def test_100_000_levels_of_nesting_are_a_400(
    client: CheckedClient,
    people: People,
    db: Session,
    source: HarvestSource,
    index: int,
    body: bytes,
) -> None:
    before = stored_state(db)
    response = send(client, writes(source)[index], body, people.sysadmin.headers)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "request": "Failed to decode JSON object: nested more than 64 levels deep"
    }
    assert stored_state(db) == before


@pytest.mark.parametrize(
    "body",
    [
        DEEP_ARRAYS,
        b'"\\ud800"',
        b'"0 0 * * *\\u0000"',
        b"\xff\xfe",
        b'{"cron": "0 0 * * *"}',
        b"[]",
    ],
    ids=["deep", "lone-surrogate", "nul", "invalid-utf8", "object", "array"],
)
def test_hostile_cron_bodies_are_a_400(
    client: CheckedClient, people: People, db: Session, source: HarvestSource, body: bytes
) -> None:
    before = stored_state(db)
    call = f"POST /api/1/harvest/source/{source.id}/schedule/"
    response = send(client, call, body, people.sysadmin.headers)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["schedule"]
    assert stored_state(db) == before


def _nested_config(levels: int) -> Any:
    config: Any = 1
    for _ in range(levels):
        config = {"k": config}
    return config


def test_nesting_up_to_the_limit_is_accepted(client: CheckedClient, people: People) -> None:
    # The body object is one level, `config` and what it holds the others.
    allowed = {**GOOD, "config": _nested_config(strict_json.MAX_DEPTH - 1)}
    response = send(client, f"POST {SOURCES}", allowed, people.owner.headers)
    assert response.status_code == 201, response.text
    assert response.json()["config"] == allowed["config"]
    too_deep = {**GOOD, "config": _nested_config(strict_json.MAX_DEPTH)}
    assert send(client, f"POST {SOURCES}", too_deep, people.owner.headers).status_code == 400


@pytest.mark.parametrize(
    ("raw", "depth"),
    [
        (b"{}", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'{"a": "[[[[{{{{"}', 1),  # brackets inside strings do not count
        (b'{"a": "\\"[[[["}', 1),  # nor after an escaped quote
        (b'["\\\\", [[]]]', 3),  # an escaped backslash ends before the quote
    ],
)
def test_nesting_depth_ignores_strings(raw: bytes, depth: int) -> None:
    assert strict_json.nesting_depth(raw, 64) == depth
    assert json.loads(raw) is not None


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (b'{"name": "a", "name": "b"}', {"name": "Duplicate key 'name' in a JSON object"}),
        (b'{"config": {"k": 1, "k": 2}}', {"k": "Duplicate key 'k' in a JSON object"}),
        (b'{"config": {"x": NaN}}', {"request": "NaN is not valid JSON"}),
        (b'{"config": {"x": Infinity}}', {"request": "Infinity is not valid JSON"}),
        (b'{"config": {"x": -Infinity}}', {"request": "-Infinity is not valid JSON"}),
        (b'{"config": {"x": 1e400}}', {"request": "Number 1e400 is out of range"}),
        (b'{"name": "a\\u0000b"}', {"name": NUL_REFUSED}),
        (b'{"url": "https://x.example.test/\\u0000"}', {"url": NUL_REFUSED}),
        (b'{"config": {"filters": [{"key": "\\u0000"}]}}', {"config.filters.key": NUL_REFUSED}),
        (b'{"config": {"a\\u0000": 1}}', {"config.a\x00": NUL_REFUSED}),
        (b'{"name": "\\ud800"}', {"name": "Lone UTF-16 surrogates are not allowed"}),
        (
            b'{"description": "\\udfff x"}',
            {"description": "Lone UTF-16 surrogates are not allowed"},
        ),
        (b'{"name": "\xff\xfe"}', None),
        (b'{"name": "caf\xe9"}', None),  # Latin-1, not UTF-8
        (b'{"name": ', None),
        (b"", None),
    ],
    ids=[
        "duplicate-top",
        "duplicate-nested",
        "nan",
        "infinity",
        "minus-infinity",
        "float-overflow",
        "nul-name",
        "nul-url",
        "nul-in-list",
        "nul-in-key",
        "lone-high-surrogate",
        "lone-low-surrogate",
        "invalid-utf8",
        "latin-1",
        "truncated",
        "empty",
    ],
)
@pytest.mark.parametrize("index", range(4))
def test_hostile_json_is_a_400_naming_the_field(
    client: CheckedClient,
    people: People,
    db: Session,
    source: HarvestSource,
    index: int,
    body: bytes,
    errors: dict[str, str] | None,
) -> None:
    before = stored_state(db)
    response = send(client, writes(source)[index], body, people.sysadmin.headers)
    assert response.status_code == 400, response.text
    if errors is None:
        assert response.json()["errors"]["request"].startswith("Failed to decode JSON object")
    else:
        assert response.json()["errors"] == errors
    assert stored_state(db) == before


@pytest.mark.parametrize("body", [b"[]", b"[1]", b"1", b'"x"', b"null", b"true"])
def test_a_body_that_is_not_an_object_is_a_400(
    client: CheckedClient, people: People, db: Session, body: bytes
) -> None:
    before = stored_state(db)
    response = send(client, f"POST {SOURCES}", body, people.owner.headers)
    assert response.status_code == 400
    assert response.json()["errors"] == {"request": "expecting a JSON object"}
    assert stored_state(db) == before


def test_a_surrogate_pair_is_a_character_like_any_other(
    client: CheckedClient, people: People
) -> None:
    body = (
        b'{"name": "Caf\\u00e9 \\ud83c\\udf3e", '
        b'"url": "https://e.example.test/", "backend": "dcat"}'
    )
    response = send(client, f"POST {SOURCES}", body, people.owner.headers)
    assert response.status_code == 201
    assert response.json()["name"] == "Café \U0001f33e"


@pytest.mark.parametrize(
    ("field", "size"),
    [("name", 256), ("name", 900_000), ("url", 900_000), ("backend", 900_000), ("owner", 900_000)],
)
def test_huge_strings_are_a_400_naming_the_field(
    client: CheckedClient, people: People, db: Session, field: str, size: int
) -> None:
    before = stored_state(db)
    response = send(client, f"POST {SOURCES}", {**GOOD, field: "x" * size}, people.owner.headers)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert stored_state(db) == before


# -- query strings ----------------------------------------------------------------------------

LISTS = (
    "/api/1/harvest/sources/",
    "/api/1/harvest/source/{source}/jobs/",
    "/api/1/harvest/job/{job}/",
    "/api/1/harvest/job/{job}/items/",
    "/api/1/datasets/",
    "/api/1/dataservices/",
)


def _list_url(path: str, db: Session, source: HarvestSource) -> str:
    from moisson.storage.models import HarvestJob

    job = db.query(HarvestJob).filter_by(source_id=source.id).one()
    return path.format(source=source.id, job=job.id)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"page_size={10**12}", "page_size"),
        (f"page_size={MAX_PAGE_SIZE + 1}", "page_size"),
        ("page_size=" + "9" * 5000, "page_size"),
        (f"page={MAX_PAGE + 1}", "page"),
        (f"page={2**63}", "page"),
        (f"page={10**30}", "page"),
        ("page=" + "9" * 5000, "page"),
    ],
)
@pytest.mark.parametrize("path", LISTS)
def test_huge_page_values_are_a_400_naming_the_parameter(
    client: CheckedClient, db: Session, source: HarvestSource, path: str, query: str, field: str
) -> None:
    response = client.get(f"{_list_url(path, db, source)}?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


@pytest.mark.parametrize("path", LISTS)
def test_the_largest_page_values_are_served(
    client: CheckedClient, db: Session, source: HarvestSource, path: str
) -> None:
    url = _list_url(path, db, source)
    assert client.get(f"{url}?page_size={MAX_PAGE_SIZE}").status_code == 200
    # Past the last page: 404 as udata answers, not an overflow.
    expected = 200 if "/job/" in path and not path.endswith("items/") else 404
    assert client.get(f"{url}?page={MAX_PAGE}&page_size={MAX_PAGE_SIZE}").status_code == expected


@pytest.mark.parametrize(
    "url",
    [
        "/api/1/harvest/sources/?q=a%00b",
        "/api/1/harvest/sources/?owner=%00",
        "/api/1/harvest/sources/?deleted=%00",
        "/api/1/datasets/?q=%00",
        "/api/1/dataservices/?harvest_source=x%00",
        "/api/1/harvest/sources/?%00=1",
    ],
)
def test_nul_in_a_query_parameter_is_a_400_naming_it(client: CheckedClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert list(response.json()["errors"].values()) == [NUL_REFUSED]


def test_huge_search_terms_are_answered(client: CheckedClient, source: HarvestSource) -> None:
    for url in (
        "/api/1/harvest/sources/?q=" + "a%25_" * 5000,
        "/api/1/datasets/?q=" + "%5C" * 10000,
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert response.json()["total"] == 0


# -- X-Fields ---------------------------------------------------------------------------------


def _nested_mask(levels: int) -> str:
    return "a{" * levels + "b" + "}" * levels


@pytest.mark.parametrize(
    ("mask", "reason"),
    [
        ("id," * 2000, f"Mask longer than {MASK_MAX_LENGTH} characters"),
        (_nested_mask(MASK_MAX_DEPTH + 1), f"Mask nested more than {MASK_MAX_DEPTH} levels deep"),
        (_nested_mask(1000), f"Mask nested more than {MASK_MAX_DEPTH} levels deep"),
        ("{" * 4000, "Missing closing bracket"),
        ("a" + "{a" * 2000, f"Mask nested more than {MASK_MAX_DEPTH} levels deep"),
        ("a{" * 2 + ",}" * 2000, "Unexpected comma"),
    ],
    ids=["long", "one-too-deep", "very-deep", "open-brackets", "unclosed-deep", "commas"],
)
def test_huge_or_deep_masks_are_a_400(
    client: CheckedClient, source: HarvestSource, mask: str, reason: str
) -> None:
    for url in (SOURCES, f"/api/1/harvest/source/{source.id}/"):
        response = client.get(url, headers={"X-Fields": mask})
        assert response.status_code == 400
        assert response.json() == {"message": f"Mask parse error: {reason}"}


def test_a_mask_at_the_limits_is_applied(client: CheckedClient, source: HarvestSource) -> None:
    deepest = "data{" + _nested_mask(MASK_MAX_DEPTH - 1) + "},total"
    response = client.get(SOURCES, headers={"X-Fields": deepest})
    assert response.json() == {"data": [{}], "total": 1}
    longest = "id," + " " * (MASK_MAX_LENGTH * 2) + "x" * (MASK_MAX_LENGTH - 3)
    response = client.get(f"/api/1/harvest/source/{source.id}/", headers={"X-Fields": longest})
    assert response.json() == {"id": source.id}  # whitespace does not count


def test_a_bad_mask_refuses_a_write_before_it_happens(
    client: CheckedClient, people: People, db: Session
) -> None:
    """A bad mask is refused before the handler runs: the source is not created."""
    before = stored_state(db)
    response = client.post(
        SOURCES, json=GOOD, headers={**people.owner.headers, "X-Fields": _nested_mask(50)}
    )
    assert response.status_code == 400
    assert stored_state(db) == before


# -- path segments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "segment",
    # Encoded dots: a client normalizes literal `.`/`..` segments away before sending.
    ["%2e%2e", "%2e", "%00", "a%00b", "%2e%2e%00", "x" * 10_000, "%FF", "%ED%A0%80"],
    ids=[
        "dotdot",
        "dot",
        "nul",
        "nul-inside",
        "dotdot-nul",
        "10k",
        "bad-utf8",
        "surrogate",
    ],
)
@pytest.mark.parametrize(
    "call",
    [
        "GET /api/1/harvest/source/{}/",
        "PUT /api/1/harvest/source/{}/",
        "DELETE /api/1/harvest/source/{}/",
        "POST /api/1/harvest/source/{}/run/",
        "GET /api/1/harvest/source/{}/jobs/",
        "GET /api/1/harvest/job/{}/",
        "GET /api/1/datasets/{}/",
    ],
)
def test_odd_path_segments_are_a_404(
    client: CheckedClient,
    people: People,
    db: Session,
    runner: RecordingRunner,
    source: HarvestSource,
    call: str,
    segment: str,
) -> None:
    method, path = call.split(" ", 1)
    before = stored_state(db)
    response = client.request(
        method,
        path.format(segment),
        content=b'{"name": "Renamed"}' if method == "PUT" else None,
        headers={**people.sysadmin.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 404, response.text
    assert stored_state(db) == before
    assert runner.submitted == []


def test_dot_segments_do_not_climb_out_of_the_api(client: CheckedClient) -> None:
    response = client.get("/api/1/harvest/source/%2e%2e/%2e%2e/%2e%2e/admin/")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
