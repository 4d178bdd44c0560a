"""schemathesis over the whole /api/v1/ schema, a bounded number of examples per operation,
as a client's key and a staff key: no server error, and every response matches its schema."""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from .conftest import key_for

pytestmark = pytest.mark.django_db

EXAMPLES = 3


@pytest.fixture
def wsgi_app():
    """Django's WSGI app on this test's connection and transaction (as Django's test client
    does: no connection is closed at the end of a request)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _run(schema, headers) -> tuple[list[str], dict[int, int]]:
    failures, statuses = [], {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            response = case.call(headers=headers)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            try:
                case.validate_response(
                    response, checks=(not_a_server_error, response_schema_conformance)
                )
            except Exception as error:  # noqa: BLE001 - collected and reported together
                failures.append(f"{case.operation.label}: {str(error)[:300]}")

        check()
    return failures, statuses


@pytest.mark.parametrize("who", ["client", "staff"])
def test_every_operation_answers_without_server_errors_and_to_its_schema(
    tenant_a, holder, wsgi_app, who
):
    from tests.support.factories import user_make

    user, _ = holder
    if who == "staff":
        user = user_make(tenant=tenant_a, username="fuzz-staff", roles=["Security Officer"])
    secret = key_for(tenant_a, user, scopes=("read", "trade", "fund", "admin"))
    headers = {"Authorization": f"Bearer {secret}", "Host": tenant_a.get_primary_domain().domain}
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json", wsgi_app, headers=headers
    )
    failures, statuses = _run(schema, headers)
    operations = len(list(schema.get_all_operations()))
    print(operations, statuses)  # noqa: T201
    # every operation was called, and some of them did what was asked
    assert operations > 30 and sum(statuses.values()) >= operations
    assert statuses.get(200, 0) + statuses.get(201, 0) > operations // 2
    assert failures == [], "\n".join(failures)
