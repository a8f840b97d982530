"""Every registered backend honours the contract, and every layer imports only what it may."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from tests.api.schema_check import assert_valid
from tests.conftest import SPEC_DIR

import moisson
from moisson.backends import all_backends, enabled_backends, get_backend
from moisson.backends.base import Backend
from moisson.errors import InvalidInput

PACKAGE = Path(moisson.__file__).resolve().parent
BACKENDS = sorted(all_backends().items())


class TestRegistry:
    def test_the_six_backends_of_the_reference_are_registered(self) -> None:
        spec = json.loads((SPEC_DIR / "harvest-openapi.json").read_text())
        declared = spec["components"]["schemas"]["HarvestSource"]["properties"]["backend"]["enum"]
        assert sorted(all_backends()) == sorted(declared)

    def test_labels_are_unique(self) -> None:
        labels = [cls.info.label for _, cls in BACKENDS]
        assert len(labels) == len(set(labels))

    def test_enabled_backends_follow_glob_patterns(self) -> None:
        assert sorted(enabled_backends(["csw*"])) == ["csw-dcat", "csw-iso-19139"]
        assert enabled_backends([]) == {}

    def test_an_unknown_backend_names_the_valid_ones(self) -> None:
        with pytest.raises(InvalidInput) as error:
            get_backend("nope", ["dcat", "ckan"])
        assert error.value.errors == {"backend": error.value.message}
        assert "ckan, dcat" in error.value.message


@pytest.mark.parametrize(("name", "cls"), BACKENDS, ids=[name for name, _ in BACKENDS])
class TestBackendContract:
    def test_implements_the_protocol(self, name: str, cls: type[Backend]) -> None:
        assert isinstance(cls(), Backend)
        assert cls.info.id == name

    def test_info_serialises_to_the_reference_schema(self, name: str, cls: type[Backend]) -> None:
        # The API's own rule: optional fields may be null (tests/api/schema_check.py).
        assert_valid(cls.info.as_api(), {"$ref": "#/components/schemas/HarvestBackend"})


# Which first-party packages each layer may import (docs/design.md §3).
ALLOWED = {
    "domain": {"domain"},
    "mapping": {"domain", "mapping"},
    "publishing": {"domain", "mapping", "publishing"},
    "quality": {"domain", "mapping", "quality"},
    "http": {"domain", "http", "config"},
    "backends": {"domain", "http", "mapping", "backends", "errors", "config"},
    "storage": {"storage", "domain", "config"},
}
FORBIDDEN_THIRD_PARTY = {
    "domain": {"sqlalchemy", "fastapi", "celery", "httpx", "starlette"},
    "mapping": {"sqlalchemy", "fastapi", "celery", "httpx", "starlette"},
    "publishing": {"sqlalchemy", "fastapi", "celery", "httpx", "starlette"},
    "quality": {"sqlalchemy", "fastapi", "celery", "httpx", "starlette"},
    "backends": {"sqlalchemy", "fastapi", "celery", "starlette"},
    "harvest": {"fastapi", "celery", "starlette"},
    "services": {"fastapi", "celery", "starlette"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def layer_files(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(set(ALLOWED) | set(FORBIDDEN_THIRD_PARTY)))
def test_layers_import_only_what_they_may(layer: str) -> None:
    problems = []
    for path in layer_files(layer):
        for module in imported_modules(path):
            top, _, rest = module.partition(".")
            if top == "moisson" and layer in ALLOWED:
                first_party = rest.partition(".")[0]
                if first_party and first_party not in ALLOWED[layer]:
                    problems.append(f"{path.relative_to(PACKAGE)} imports {module}")
            if top in FORBIDDEN_THIRD_PARTY.get(layer, set()):
                problems.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert problems == []


def test_the_layer_check_sees_every_layer() -> None:
    for layer in set(ALLOWED) | set(FORBIDDEN_THIRD_PARTY):
        assert layer_files(layer), f"no module found in {layer}/"
