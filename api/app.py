"""The HTTP service: `create_app(settings)` builds the FastAPI app.

The model, the stores and the engine are built once in the lifespan (`api.services`)
and reached by endpoints through `Annotated` dependencies (`api.deps`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import routes_admin, routes_chat, routes_insights, routes_pages, routes_rasa, routes_staff
from api.deps import ServicesDep
from api.errors import ErrorBody, error_response, install_error_handlers
from api.ratelimit import RateLimits, open_rate_limits
from api.services import start_services
from api.telegram import webhook as telegram_webhook
from bot.errors import StorageError
from bot.settings import Settings, get_settings

__all__ = ["app_from_env", "create_app"]

log = logging.getLogger("pasokhgoo.api")


class _BodyTooLarge(Exception):
    """Raised into the app from `receive` once a streamed body passes its limit."""


def _too_large(limit: int) -> Response:
    return error_response(
        413, "payload_too_large", f"The request body is larger than {limit} bytes."
    )


class BodyLimit:
    """Refuse a request body over its route's limit (uploads, spreadsheet imports and Rasa
    trackers have larger ones): at once when Content-Length says so, else as soon as the
    bytes received pass it, so a chunked body is never read or parsed in full.

    A pure ASGI middleware: it counts what the app receives; once over the limit, whatever
    the app makes of the cut-off body is dropped and the client gets the 413."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def limit(self, path: str) -> int:
        if path.endswith("/attachments"):
            return self.settings.max_attachment_bytes + 64 * 1024  # room for the multipart frame
        if path == "/webhook":
            return self.settings.max_rasa_tracker_bytes
        if path == "/v1/admin/faq/import":
            return self.settings.max_import_bytes + 64 * 1024
        return self.settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _too_large(limit)(scope, receive, send)
            return

        received = 0
        exceeded = started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the app's answer to a cut-off body (FastAPI makes it a 400)
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except _BodyTooLarge:
            if started:
                raise
        if exceeded and not started:
            await _too_large(limit)(scope, receive, send)


def app_from_env() -> FastAPI:
    """The app with settings from `PASOKHGOO_*` only: the import string that uvicorn's
    worker processes build (`uvicorn --factory api.app:app_from_env`, `serve --workers`)."""
    return create_app(get_settings())


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = await start_services(settings)
        app.state.rate_limits = open_rate_limits(settings)
        log.info("api.ready trained_now=%s", app.state.services.assistant.trained_now)
        try:
            yield
        finally:
            app.state.rate_limits.close()
            app.state.services.close()

    app = FastAPI(
        title="Pasokhgoo (پاسخگو)",
        summary="Persian customer-support chatbot and FAQ retrieval service",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.services = None
    app.state.rate_limits = RateLimits()
    app.add_middleware(BodyLimit, settings=settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Retry-After"],
        )
    install_error_handlers(app)
    app.include_router(routes_chat.router)
    app.include_router(routes_staff.router)
    app.include_router(routes_rasa.router)
    app.include_router(telegram_webhook.router)  # its lifespan starts the Telegram relay
    app.include_router(routes_pages.router)
    app.include_router(routes_admin.router)  # the content team's workbench
    app.include_router(routes_insights.router)

    @app.exception_handler(StorageError)
    async def _storage(_: Request, exc: StorageError) -> Response:
        return error_response(
            503,
            exc.code,
            "The database is unavailable; nothing was saved. Please try again shortly.",
        )

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], responses={503: {"model": ErrorBody}}, response_model=None)
    async def readyz(services: ServicesDep) -> Response | dict:
        """The model is loaded and the database answers."""
        try:
            services.stores.conversations.load("__readyz__")
        except StorageError:
            return error_response(503, "database_unavailable", "The database does not answer.")
        manifest = services.assistant.model.manifest
        return {
            "status": "ready",
            "model": {"created": manifest.get("created"), "data_hash": manifest.get("data_hash")},
        }

    return app
