"""Dependencies: the services built in the lifespan, and staff authentication.

Tokens come from the settings and are compared in constant time. Staff send
`Authorization: Bearer <token>`; a WebSocket, which a browser cannot give headers,
sends `?token=` instead.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, WebSocket
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.services import Services
from bot.settings import Settings

__all__ = [
    "AdminDep",
    "ServicesDep",
    "SettingsDep",
    "Staff",
    "StaffDep",
    "staff_for_token",
]

_bearer = HTTPBearer(auto_error=False)


def get_services(request: Request) -> Services:
    services = getattr(request.app.state, "services", None)
    if services is None:
        raise ApiError(503, "not_ready", "The service is still starting.")
    return services


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


@dataclass(frozen=True)
class Staff:
    name: str
    role: str  # "admin" | "operator"


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def staff_for_token(settings: Settings, token: str | None) -> Staff | None:
    """Who the token belongs to; every token is compared, so timing reveals nothing."""
    if not token:
        return None
    found: Staff | None = None
    if settings.admin_token is not None and _same(token, settings.admin_token.get_secret_value()):
        found = Staff("admin", "admin")
    for name, secret in settings.operator_tokens.items():
        if _same(token, secret.get_secret_value()) and found is None:
            found = Staff(name, "operator")
    return found


def _unauthorized(credentials: HTTPAuthorizationCredentials | None) -> ApiError:
    if credentials is None:
        return ApiError(
            401,
            "unauthorized",
            "A staff token is required (Authorization: Bearer <token>).",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return ApiError(403, "forbidden", "This token is not allowed here.")


def require_staff(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Staff:
    staff = staff_for_token(settings, credentials.credentials if credentials else None)
    if staff is None:
        raise _unauthorized(credentials)
    return staff


def require_admin(staff: Annotated[Staff, Depends(require_staff)]) -> Staff:
    if staff.role != "admin":
        raise ApiError(403, "forbidden", "This endpoint needs the admin token.")
    return staff


def websocket_staff(websocket: WebSocket) -> Staff | None:
    settings: Settings = websocket.app.state.settings
    return staff_for_token(settings, websocket.query_params.get("token"))


StaffDep = Annotated[Staff, Depends(require_staff)]
AdminDep = Annotated[Staff, Depends(require_admin)]
