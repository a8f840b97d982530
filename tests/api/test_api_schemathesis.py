"""Property-based run of our own OpenAPI document (`/api/1/openapi.json`) through ASGI:
no server error, and every response conforms to the schema we publish (status codes
included). Bounded: a few examples per operation, derandomized.

(Schemathesis's pytest plugin does not run under this pytest version, so each operation's
strategy is driven by Hypothesis directly.)
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance
from tests.api.conftest import People

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
HYPOTHESIS = settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _operations(app: FastAPI) -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_asgi("/api/1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


def _exercise(operation: schemathesis.APIOperation, headers: dict[str, str]) -> None:
    @HYPOTHESIS
    @given(case=operation.as_strategy())
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS, headers=headers)

    run()


@pytest.mark.slow
def test_every_operation_conforms_anonymously(app: FastAPI) -> None:
    operations = _operations(app)
    assert len(operations) >= 17
    for operation in operations:
        _exercise(operation, {})


@pytest.mark.slow
def test_every_operation_conforms_for_a_sysadmin(app: FastAPI, people: People) -> None:
    # Previews are left out with a key: a generated valid configuration would start a harvest.
    for operation in _operations(app):
        if not operation.path.endswith("/preview/"):
            _exercise(operation, people.sysadmin.headers)
