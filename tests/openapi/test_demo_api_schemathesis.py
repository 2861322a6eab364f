"""Schemathesis against the demo app's own OpenAPI document, over a real socket.

Every documented operation of the typed notes API gets generated requests
(bounded in number); none may answer 500, and every answer must match the
document (status, content type, body schema).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode, checks
from schemathesis.core.failures import FailureGroup

from fastcore.testing import LiveServer
from tests.typed_demo_support import typed_demo_app


@pytest.fixture(scope="module")
def demo_schema() -> Iterator[schemathesis.BaseSchema]:
    with LiveServer(typed_demo_app()) as server:
        schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
        # Valid requests only: a path that matches no route meets the CSRF
        # check before the 404, which is the security stack's contract, not
        # the API's (invalid input is covered by tests/handlers).
        schema.config.generation.update(modes=[GenerationMode.POSITIVE])
        yield schema


# Only the typed API: the demo's HTML pages sit behind CSRF and are not an API.
schema = schemathesis.pytest.from_fixture("demo_schema").include(path_regex="^/api/v1/")
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_demo_api_answers_as_documented(case: schemathesis.Case) -> None:
    try:
        case.call_and_validate(checks=CHECKS)
    except FailureGroup as exc:  # pragma: no cover - the message is the point
        pytest.fail(str(exc))
