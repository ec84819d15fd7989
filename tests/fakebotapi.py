"""A fake Telegram Bot API on loopback, for the real python-telegram-bot client.

A Starlette app served by uvicorn in a thread on 127.0.0.1 (a free port). It implements
the methods the channel uses, records every call with its parameters, serves files for
getFile, and hands out queued updates to getUpdates.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["BotApiCall", "FakeBotApi"]

BOT_USER = {"id": 777, "is_bot": True, "first_name": "Pasokhgoo", "username": "pasokhgoo_bot"}


@dataclass(frozen=True)
class BotApiCall:
    method: str
    params: dict[str, Any]


def _decoded(value: str) -> Any:
    """PTB sends scalars as text and objects (reply_markup, allowed_updates) as JSON."""
    if value[:1] in "[{":
        return json.loads(value)
    return value


class FakeBotApi:
    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[BotApiCall] = []
        self.files: dict[str, bytes] = {}  # file_id → content
        self.pending_updates: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._message_ids = 0
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._method, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
            ]
        )
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", ws="none", http="h11", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def __enter__(self) -> FakeBotApi:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake Bot API did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    # what the tests read

    def called(self, method: str) -> list[dict[str, Any]]:
        with self._changed:
            return [c.params for c in self.calls if c.method == method]

    def sent(self) -> list[dict[str, Any]]:
        """Every sendMessage, in order."""
        return self.called("sendMessage")

    def wait_for(self, method: str, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        """Block until `method` has been called `count` times; its calls."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c.params for c in self.calls if c.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{method} called {len(found)} times, not {count}")
                self._changed.wait(left)

    def queue_updates(self, *updates: dict[str, Any]) -> None:
        with self._changed:
            self.pending_updates.extend(updates)

    # the Bot API

    async def _method(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        method = request.path_params["method"]
        form = await request.form()
        params = {k: _decoded(v) for k, v in form.items() if isinstance(v, str)}
        if method == "getUpdates" and not self.pending_updates:
            await asyncio.sleep(0.05)  # a short long poll: nothing new
        with self._changed:
            self.calls.append(BotApiCall(method, params))
            result = self._result(method, params)
            self._changed.notify_all()
        if result is None:
            return JSONResponse(
                {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
                404,
            )
        return JSONResponse({"ok": True, "result": result})

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "sendMessage":
            self._message_ids += 1
            chat_id = int(params["chat_id"])
            message = {
                "message_id": self._message_ids,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": params["text"],
            }
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            return message
        if method in ("answerCallbackQuery", "setWebhook", "deleteWebhook"):
            return True
        if method == "getFile":
            file_id = params["file_id"]
            content = self.files[file_id]
            return {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_size": len(content),
                "file_path": f"photos/{file_id}.bin",
            }
        if method == "getUpdates":
            offset = int(params.get("offset", 0))
            batch = [u for u in self.pending_updates if u["update_id"] >= offset]
            self.pending_updates = batch
            return batch
        return None

    async def _download(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        file_id = request.path_params["path"].removeprefix("photos/").removesuffix(".bin")
        with self._changed:
            self.calls.append(BotApiCall("download", {"file_id": file_id}))
            self._changed.notify_all()
        content = self.files.get(file_id)
        if content is None:
            return Response(status_code=404)
        return Response(content, media_type="application/octet-stream")
