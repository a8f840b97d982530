"""Our OpenAPI document: FastAPI's paths, and the reference's schemas as response models.

The reference (`reference/harvest-openapi.json`, a copy of the public harvest API reference)
declares no `nullable`, yet udata emits `null` for every absent optional field. The rule our
responses follow, and that the tests validate against, is:

- a **required** property is never null, with four exceptions the reference itself implies:
  a preview job is never saved (`HarvestJobPreview.id`), nor, for an unsaved configuration,
  is its source (`HarvestJobPreview.source`); and an item may have no remote id
  (`HarvestItem.remote_id`, `HarvestItemPreview.remote_id`: a record without identifier);
- a **non-required** property may be null;
- a few properties are typed `object` by the reference where udata's serializer has a raw
  field: `DatasetPreview.uri`/`page` and `DataservicePreview.self_api_url`/`self_web_url`
  ("fake": null in previews, URL strings elsewhere) accept a string;
  `SpatialCoverage.zones` (zone ids) accepts an array and `SpatialCoverage.granularity`
  (a granularity id) a string, which is what udata sends without `X-Get-Datasets-Full-Objects`;
  `GeoJSON.coordinates` holds nested arrays of numbers, as GeoJSON says, where the reference
  types its items `object`;
- extra properties are allowed (the reference never forbids them; we add counters).

Schema names are made OpenAPI-safe (`Badge (read)` -> `BadgeRead`).
"""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

REFERENCE_FILE = Path(__file__).resolve().parent / "reference" / "harvest-openapi.json"

#: (schema, property) pairs that are required and still null in some responses.
NULLABLE_REQUIRED = {
    ("HarvestJobPreview", "id"),
    ("HarvestJobPreview", "source"),
    ("HarvestItem", "remote_id"),
    ("HarvestItemPreview", "remote_id"),
}
#: (schema, property) -> the JSON types a raw `object` field of the reference really takes.
RAW_FIELDS = {
    ("DatasetPreview", "uri"): ["string", "object"],
    ("DatasetPreview", "page"): ["string", "object"],
    ("DataservicePreview", "self_api_url"): ["string", "object"],
    ("DataservicePreview", "self_web_url"): ["string", "object"],
    ("SpatialCoverage", "zones"): ["array", "object"],
    ("SpatialCoverage", "granularity"): ["string", "object"],
}
#: (schema, array property) -> the JSON types its items really take.
RAW_ITEMS = {("GeoJSON", "coordinates"): ["array", "number", "object"]}


def safe_name(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9_.-]+", name))


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _relax_object(name: str, schema: dict[str, Any]) -> None:
    required = set(schema.get("required", []))
    for prop, prop_schema in list(schema.get("properties", {}).items()):
        if (name, prop) in RAW_FIELDS:
            prop_schema = {**prop_schema, "type": RAW_FIELDS[name, prop]}
        if (name, prop) in RAW_ITEMS:
            items = {**prop_schema.get("items", {}), "type": RAW_ITEMS[name, prop]}
            prop_schema = {**prop_schema, "items": items}
        if prop not in required or (name, prop) in NULLABLE_REQUIRED:
            prop_schema = _nullable(prop_schema)
        schema["properties"][prop] = prop_schema
    for part in schema.get("allOf", []):
        if isinstance(part, dict) and "properties" in part:
            _relax_object(name, part)


def _rewrite_refs(node: Any, renames: dict[str, str], prefix: str) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                target = value.rsplit("/", 1)[-1]
                out[key] = prefix + renames.get(target, target)
            else:
                out[key] = _rewrite_refs(value, renames, prefix)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(v, renames, prefix) for v in node]
    return node


def relaxed_schemas(
    reference: dict[str, Any], ref_prefix: str = "#/components/schemas/"
) -> dict[str, Any]:
    """The reference's component schemas with the nullability rule of this module applied,
    safe names, and `$ref`s pointing at `ref_prefix`."""
    schemas = copy.deepcopy(reference["components"]["schemas"])
    for name, schema in schemas.items():
        schema.pop("discriminator", None)  # `class` discriminates nothing we serve
        _relax_object(name, schema)
    renames = {name: safe_name(name) for name in schemas}
    return {
        renames[name]: _rewrite_refs(schema, renames, ref_prefix)
        for name, schema in schemas.items()
    }


def _page_of(item_ref: str, description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "required": ["data", "page", "page_size", "total"],
        "properties": {
            "data": {"type": "array", "items": {"$ref": item_ref}},
            "page": {"type": "integer", "minimum": 1},
            "page_size": {"type": "integer", "minimum": 1},
            "total": {"type": "integer", "minimum": 0},
            "next_page": {"type": ["string", "null"]},
            "previous_page": {"type": ["string", "null"]},
        },
    }


#: Schemas of ours, for the endpoints the reference does not describe.
OWN_SCHEMAS: dict[str, Any] = {
    "ApiError": {
        "type": "object",
        "required": ["message"],
        "properties": {
            "message": {"type": "string"},
            "errors": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
    "Dataset": {
        "description": "A harvested dataset: udata's dataset shape (`DatasetPreview`).",
        "allOf": [{"$ref": "#/components/schemas/DatasetPreview"}],
    },
    "Dataservice": {
        "description": "A harvested dataservice (`DataservicePreview` plus descriptive fields).",
        "allOf": [{"$ref": "#/components/schemas/DataservicePreview"}],
        "properties": {
            "id": {"type": "string"},
            "datasets": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/DatasetReference"},
            },
        },
    },
    "HarvestItemPage": _page_of("#/components/schemas/HarvestItem", "A page of job items"),
    "DatasetPage": _page_of("#/components/schemas/Dataset", "A page of datasets"),
    "DataservicePage": _page_of("#/components/schemas/Dataservice", "A page of dataservices"),
}


@lru_cache
def load_reference() -> dict[str, Any]:
    reference: dict[str, Any] = json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))
    return reference


def component_schemas() -> dict[str, Any]:
    return {**relaxed_schemas(load_reference()), **copy.deepcopy(OWN_SCHEMAS)}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(schema: dict[str, Any], description: str = "Success") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERROR_DESCRIPTIONS = {
    308: "The source moved: `Location` names its current URL",
    400: "Invalid input (the field is named in `errors`)",
    401: "Authentication required, or a bad API key",
    403: "Not allowed",
    404: "Not found",
    409: "A job of this source is already waiting or running",
    415: "The body is not declared as JSON",
}


def responses(
    success: int, schema: dict[str, Any] | None, *errors: int
) -> dict[int | str, dict[str, Any]]:
    """The documented responses of an operation: its success and the errors it can give
    (every operation can answer 400 for a malformed mask or 401 for a bad key)."""
    documented: dict[int | str, dict[str, Any]] = {
        success: json_response(schema) if schema is not None else {"description": "Success"}
    }
    for status in sorted({400, 401, *errors}):
        documented[status] = json_response(ref("ApiError"), ERROR_DESCRIPTIONS[status])
    return documented


def json_request_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def finish(document: dict[str, Any]) -> dict[str, Any]:
    """Add the component schemas; drop FastAPI's 422 answers (we answer 400)."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas.update(component_schemas())
    components["securitySchemes"] = {
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-KEY"}
    }
    # Reads are public: a key is optional everywhere, required by secured operations.
    document["security"] = [{}, {"apiKey": []}]
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict):
                operation.get("responses", {}).pop("422", None)
    return document
