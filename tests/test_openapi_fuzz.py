"""Generated requests for every operation in /openapi.json (schemathesis): never a 5xx,
and every error in the project's one error body shape."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from api.app import create_app

pytestmark = pytest.mark.slow

EXAMPLES = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


# Rasa's action-server protocol answers errors in Rasa's own shape, which Rasa reads
RASA_NATIVE = {"/webhook"}


def check(case) -> None:
    response = case.call()
    where = (case.method, case.formatted_path, response.text[:300])
    assert response.status_code < 500, where
    if case.path in RASA_NATIVE:
        return
    if response.status_code >= 400 and "json" in response.headers.get("content-type", [""])[0]:
        body = response.json()
        assert set(body) == {"error"}, where
        assert set(body["error"]) == {"code", "message", "details"}, where
        assert isinstance(body["error"]["code"], str) and body["error"]["message"], where


def test_no_server_errors_and_one_error_shape(make_settings) -> None:
    app = create_app(make_settings())
    with TestClient(app):  # the lifespan: model, stores and engine are built
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) > 20
        failures = []
        for operation in operations:
            try:
                given(operation.as_strategy())(EXAMPLES(lambda case: check(case)))()
            except AssertionError as exc:
                failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
        assert not failures, "\n\n".join(failures)
