"""Every API response checked against the reference (`SPEC_DIR/harvest-openapi.json`).

The reference declares no `nullable`; the rule validated here is the one documented in
`moisson.api.openapi` (required never null, save four named exceptions; optional may be
null). Date-times must be RFC 3339 with an explicit UTC offset `+00:00`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from typing import Any

import httpx
from jsonschema import Draft202012Validator, FormatChecker
from tests.conftest import SPEC_DIR

from moisson.api.openapi import relaxed_schemas
from moisson.api.routes.notifications import DELIVERIES, SUBSCRIPTION, SUBSCRIPTIONS

FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _rfc3339_utc(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value)
    if "T" not in value or not value.endswith("+00:00") or parsed.utcoffset() is None:
        raise ValueError(f"{value!r} is not RFC 3339 with a +00:00 offset")
    return True


def _page(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["data", "page", "page_size", "total", "next_page", "previous_page"],
        "properties": {
            "data": {"type": "array", "items": item},
            "page": {"type": "integer", "minimum": 1},
            "page_size": {"type": "integer", "minimum": 1},
            "total": {"type": "integer", "minimum": 0},
            "next_page": {"type": ["string", "null"]},
            "previous_page": {"type": ["string", "null"]},
        },
    }


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


ERROR = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "string", "minLength": 1},
        "errors": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}

# Pages are checked with `data` required too (we always send it).
SOURCE_PAGE = {"allOf": [_ref("HarvestSourcePage"), _page(_ref("HarvestSource"))]}
JOB_PAGE = {"allOf": [_ref("HarvestJobPage"), _page(_ref("HarvestJob"))]}
DATASET = {"allOf": [_ref("DatasetPreview"), {"required": ["id", "uri", "resources"]}]}
DATASERVICE = {
    "allOf": [
        _ref("DataservicePreview"),
        {
            "required": ["id", "datasets", "harvest", "self_api_url"],
            "properties": {"datasets": {"type": "array", "items": _ref("DatasetReference")}},
        },
    ]
}

_S = r"[^/]+"
#: (method, path regex under /api/1) -> schema of a 2xx body (None: no body).
ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", r"/harvest/backends/", {"type": "array", "items": _ref("HarvestBackend")}),
    ("GET", r"/harvest/sources/", SOURCE_PAGE),
    ("POST", r"/harvest/sources/", _ref("HarvestSource")),
    ("POST", r"/harvest/source/preview/", _ref("HarvestJobPreview")),
    ("GET", rf"/harvest/source/{_S}/preview/", _ref("HarvestJobPreview")),
    ("GET", rf"/harvest/source/{_S}/jobs/", JOB_PAGE),
    ("POST", rf"/harvest/source/{_S}/(run|validate|schedule)/", _ref("HarvestSource")),
    ("DELETE", rf"/harvest/source/{_S}/schedule/", None),
    ("GET", rf"/harvest/source/{_S}/", _ref("HarvestSource")),
    ("PUT", rf"/harvest/source/{_S}/", _ref("HarvestSource")),
    ("DELETE", rf"/harvest/source/{_S}/", None),
    (
        "GET",
        rf"/harvest/job/{_S}/",
        {"allOf": [_ref("HarvestJob"), {"required": ["items", "items_by_status"]}]},
    ),
    ("GET", rf"/harvest/job/{_S}/items/", _page(_ref("HarvestItem"))),
    ("GET", r"/datasets/", _page(DATASET)),
    ("GET", rf"/datasets/{_S}/", DATASET),
    ("GET", r"/dataservices/", _page(DATASERVICE)),
    ("GET", rf"/dataservices/{_S}/", DATASERVICE),
    # Extra endpoints (notifications), checked against the schemas they document.
    ("GET", rf"/harvest/(source|organization)/{_S}/notifications/", SUBSCRIPTIONS),
    ("POST", rf"/harvest/(source|organization)/{_S}/notifications/", SUBSCRIPTION),
    ("DELETE", rf"/harvest/(source|organization)/{_S}/notifications/{_S}/", None),
    ("GET", rf"/harvest/(source|organization)/{_S}/notifications/deliveries/", DELIVERIES),
]

#: Routes answering RDF (the published catalog): their bodies are checked by the catalog
#: tests with RDF parsers; here, that the syntax is one of ours.
RDF_ROUTES = [
    rf"/site/catalog(\.{_S})?",
    rf"/organizations/{_S}/catalog(\.{_S})?",
    rf"/datasets/{_S}/rdf(\.{_S})?",
    rf"/dataservices/{_S}/rdf(\.{_S})?",
]
RDF_MEDIA_TYPES = {
    "application/ld+json",
    "application/rdf+xml",
    "text/turtle",
    "application/n-triples",
    "text/n3",
    "application/trig",
}


def _is_rdf_route(method: str, path: str) -> bool:
    relative = path.removeprefix("/api/1")
    return method == "GET" and any(re.fullmatch(p, relative) for p in RDF_ROUTES)


@cache
def _components() -> dict[str, Any]:
    reference = json.loads((SPEC_DIR / "harvest-openapi.json").read_text(encoding="utf-8"))
    return {"schemas": relaxed_schemas(reference)}


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator({**schema, "components": _components()}, format_checker=FORMATS)


def assert_valid(instance: Any, schema: dict[str, Any]) -> None:
    errors = sorted(validator(schema).iter_errors(instance), key=lambda e: list(e.path))
    if errors:
        shown = "\n".join(
            f"- at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}"
            for e in errors[:10]
        )
        raise AssertionError(f"response does not match the reference:\n{shown}")


def expected_schema(method: str, path: str) -> tuple[bool, dict[str, Any] | None]:
    """(route known, schema of its success body)."""
    relative = path.removeprefix("/api/1")
    for route_method, pattern, schema in ROUTES:
        if route_method == method and re.fullmatch(pattern, relative):
            return True, schema
    return False, None


def check_response(response: httpx.Response) -> None:
    """Fail unless `response` has the shape its endpoint and status promise."""
    request = response.request
    status = response.status_code
    if status >= 500:
        raise AssertionError(f"server error {status}: {response.text[:500]}")
    if request.url.path.endswith("/openapi.json") or request.url.path.endswith("/docs"):
        return
    known, schema = expected_schema(request.method, request.url.path)
    if _is_rdf_route(request.method, request.url.path) and status < 400:
        assert response.headers.get("etag"), "catalog answers carry a validator"
        if status == 304:
            assert response.content == b""
        else:
            assert status == 200
            media = response.headers["content-type"].split(";")[0].strip()
            assert media in RDF_MEDIA_TYPES, media
        return
    if 300 <= status < 400:
        assert status == 308 or (status == 307 and not request.url.path.endswith("/"))
        assert response.headers.get("location"), "a redirect names its target"
        return
    if status >= 400:
        assert_valid(response.json(), ERROR)
        return
    assert known, f"no schema known for {request.method} {request.url.path}"
    if schema is None:
        assert status == 204
        assert response.content == b""
        return
    if request.headers.get("X-Fields"):
        return  # a masked body leaves out required fields by design
    assert_valid(response.json(), schema)
