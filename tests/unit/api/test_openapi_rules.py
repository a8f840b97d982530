"""The nullability rule applied to the reference, and our served document."""

from __future__ import annotations

import json

from tests.api.schema_check import validator
from tests.conftest import SPEC_DIR

from moisson.api.openapi import REFERENCE_FILE, relaxed_schemas, safe_name


def test_shipped_reference_is_the_shared_one() -> None:
    shipped = json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))
    assert shipped == json.loads((SPEC_DIR / "harvest-openapi.json").read_text(encoding="utf-8"))


def test_required_properties_stay_non_null_and_optional_ones_accept_null() -> None:
    def valid(schema: str, instance: dict) -> bool:
        return validator({"$ref": f"#/components/schemas/{schema}"}).is_valid(instance)

    base = {"level": "ERROR", "message": "x"}
    assert valid("HarvestError", base)
    assert not valid("HarvestError", {**base, "message": None})
    job = {"id": "j", "created": "2026-01-01T00:00:00+00:00", "source": "s", "status": "done"}
    assert valid("HarvestJob", {**job, "ended": None, "errors": []})
    assert not valid("HarvestJob", {**job, "id": None})
    assert not valid("HarvestJob", {**job, "status": "bogus"})
    assert valid("HarvestJobPreview", {**job, "id": None, "source": None})
    assert not valid("HarvestJob", {**job, "created": "2026-01-01T00:00:00"})  # offset needed


def test_names_are_made_safe() -> None:
    assert safe_name("Badge (read)") == "BadgeRead"
    assert safe_name("ContactPoint (read)") == "ContactPointRead"
    schemas = relaxed_schemas(json.loads((SPEC_DIR / "harvest-openapi.json").read_text()))
    assert "BadgeRead" in schemas
    assert "Badge (read)" not in schemas
    assert "#/components/schemas/BadgeRead" in json.dumps(schemas)
