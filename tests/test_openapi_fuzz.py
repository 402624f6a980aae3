"""Property-based fuzzing of the whole OpenAPI with schemathesis: no input makes the API fail
with a server error, and responses match what the schema documents.

The app runs in-process (ASGI). Each operation is one test that takes the `session`
fixture, so every request of its examples joins the test's outer transaction through the
overridden session factory, and whatever the fuzzer wrote is rolled back afterwards.
Bounded (8 examples per operation as a manager, 3 unauthenticated, derandomized) to stay within a CI budget.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import shared_app

# One pass is enough (scripts/test.sh): PostgreSQL, the stricter database, when it is reachable.
pytestmark = pytest.mark.once

# Server-sent event streams stay open by design (minutes); they are not request/response
# operations to fuzz, and are tested by their own domain.
STREAMS = ["/api/v1/access/feed"]
schema = schemathesis.openapi.from_asgi("/openapi.json", shared_app()).exclude(path=STREAMS)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
FUZZ = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": list(HealthCheck),
    "phases": [Phase.explicit, Phase.generate],
}


@pytest.fixture
def manager(persona) -> dict[str, str]:
    return persona("manager_wang").headers


# Signing out would revoke the token the other examples use; it is tested in tests/accounts.
@schema.exclude(operation_id="accounts-logout").parametrize()
@settings(max_examples=8, **FUZZ)
def test_as_manager(case, session, manager):
    case.call_and_validate(headers=manager, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=3, **FUZZ)
def test_unauthenticated(case, session):
    case.call_and_validate(checks=CHECKS)
