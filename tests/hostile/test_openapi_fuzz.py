"""Generated requests for every operation of /api/v1, from its own OpenAPI schema
(schemathesis): whatever a client sends, the answer is a 2xx or a 4xx in the documented
error shape, never a 500. A long run; it belongs with the e2e tests."""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings

from tests import factories
from unidesk.accounts.models import Agent

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@pytest.fixture
def token(db: None) -> str:
    supervisor: Agent = factories.agent(role="supervisor", groups=["General"])
    account, _ = factories.channel("api", group_name="General")
    factories.conversation(account)
    return factories.api_token(supervisor)


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much],
)  # fmt: skip
def test_no_operation_answers_with_a_server_error(case: Any, token: str) -> None:
    response = case.call(headers={"Authorization": f"Bearer {token}"})

    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
    if response.status_code >= 400 and response.headers.get("Content-Type", [""])[0].startswith(
        "application/json"
    ):
        error = json.loads(response.text)["error"]
        assert set(error) == {"code", "message", "fields"}
