"""Generated requests for every operation in /openapi.json (schemathesis): requests that
fit the schema and requests that break it, each sent with the token its operation needs
(the admin's under /v1/admin, an operator's for the other staff routes), so the endpoints
behind the token are exercised and not only the 401 in front of them. Every answer is a
2xx or a status the operation documents, never a 5xx, and every error has the project's
one error body shape.

The refusals without a token are tested route by route in tests/test_admin_faq.py and
tests/test_api_staff.py. Generation is derandomized (the same requests every run) and
not shrunk, so a failure costs no more time than a pass."""

from __future__ import annotations

import pytest
import schemathesis
from apihelpers import ADMIN, SARA
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from workbenchkit import small_settings

pytestmark = pytest.mark.slow

EXAMPLES = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)

# Rasa's action-server protocol answers errors in Rasa's own shape, which Rasa reads
RASA_NATIVE = {"/webhook"}

# What any operation taking a body may answer without listing it, as neither depends on the
# operation: 400 for a body that cannot be read (not UTF-8 JSON, broken multipart) and 413
# for one over the size limit (the BodyLimit middleware). 401/403, 422 and 429 are not
# generic: only staff routes check tokens, only the chat routes have rate limits, and each
# operation that validates input documents its 422.
BODY_ERRORS = {"400", "413"}


def token_for(path: str, operation: dict) -> dict[str, str]:
    if path.startswith("/v1/admin"):
        return ADMIN
    return SARA if operation.get("security") else {}


def checker(documented: set[str]):
    """The test of one generated request to an operation documenting these statuses."""

    def check(case) -> None:
        _check(case, documented)

    return check


def _check(case, documented: set[str]) -> None:
    response = case.call()
    status = response.status_code
    where = (
        case.method,
        case.formatted_path,
        status,
        response.content[:300].decode(errors="replace"),
    )
    assert status < 500, where
    assert 200 <= status < 300 or str(status) in documented, where
    if status < 400 or case.path in RASA_NATIVE:
        return
    assert "json" in response.headers.get("content-type", [""])[0], where
    body = response.json()
    assert set(body) == {"error"}, where
    assert set(body["error"]) == {"code", "message", "details"}, where
    assert isinstance(body["error"]["code"], str) and body["error"]["message"], where
    assert isinstance(body["error"]["details"], list), where


# a generated `channel` may hold characters the chart's font lacks: matplotlib warns (the
# PNG shows a box), and the tests' warnings-as-errors would make that a 500
@pytest.mark.filterwarnings("ignore:Glyph .* missing from font:UserWarning")
def test_no_server_errors_documented_statuses_and_one_error_shape(serve, tmp_path) -> None:
    # the tests' small knowledge base: a generated POST /v1/admin/train retrains in moments
    with serve(**small_settings(tmp_path)) as client:
        app = client.app
        paths = app.openapi()["paths"]
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) > 40
        failures, negated = [], 0
        for operation in operations:
            spec = paths[operation.path][operation.method.lower()]
            documented = set(spec["responses"]) | (BODY_ERRORS if "requestBody" in spec else set())
            headers = token_for(operation.path, spec)
            for mode in GenerationMode:
                strategy = operation.as_strategy(generation_mode=mode, headers=headers)
                try:
                    given(strategy)(EXAMPLES(checker(documented)))()
                except Unsatisfiable:
                    # nothing to break: no parameters (GET /healthz), or none a request
                    # could carry wrongly
                    assert mode is GenerationMode.NEGATIVE, operation.path
                    continue
                except Exception as exc:  # a failed check, or a server error raised through
                    name = f"{operation.method.upper()} {operation.path} ({mode})"
                    failures.append(f"{name}: {type(exc).__name__}: {exc}")
                negated += mode is GenerationMode.NEGATIVE
        assert not failures, "\n\n".join(failures)
        assert negated > 30, negated


def _is_integer(schema: dict) -> bool:
    return schema.get("type") == "integer" or any(
        option.get("type") == "integer" for option in schema.get("anyOf", [])
    )


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1])  # one past the databases' BIGINT
def test_every_integer_parameter_is_bounded(serve, tmp_path, value: int) -> None:
    """Each integer in a path or query, one past the 64-bit range: a 422 naming it, never
    an overflow in the database driver. Read from the schema, so a new integer parameter
    without bounds is caught without waiting for the fuzzer to try such a value."""
    with serve(**small_settings(tmp_path)) as client:
        probed, failures = [], []
        for path, operations in client.app.openapi()["paths"].items():
            for method, spec in operations.items():
                parameters = [p for p in spec.get("parameters", []) if p["in"] in ("path", "query")]
                for target in (p for p in parameters if _is_integer(p["schema"])):
                    name = target["name"]
                    filled = {
                        p["name"]: 1 if _is_integer(p["schema"]) else "x"
                        for p in parameters
                        if p["in"] == "path"
                    }
                    url = path.format(**(filled | {name: value}))
                    query = {name: value} if target["in"] == "query" else {}
                    headers = token_for(path, spec)
                    probed.append(f"{method.upper()} {path} {name}")
                    try:
                        response = client.request(method, url, params=query, headers=headers)
                    except Exception as exc:  # a server error, raised through by the test client
                        failures.append(f"{probed[-1]}: {type(exc).__name__}: {exc}")
                        continue
                    named = f"{target['in']}.{name}"
                    if response.status_code != 422 or named not in response.text:
                        failures.append(f"{probed[-1]}: {response.status_code} {response.text}")
        assert not failures, "\n".join(failures)
        assert len(probed) >= 12, probed
