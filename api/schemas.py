"""Request and response bodies of the HTTP API (the OpenAPI schema is built from these)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "INT64_MAX",
    "RESERVED_SENDER_PREFIXES",
    "SENDER_PATTERN",
    "ButtonOut",
    "ChatRequest",
    "ChatResponse",
    "RasaButton",
    "RasaMessage",
    "RasaReply",
    "ReplyOut",
]

# ids, cursors and offsets are 64-bit integers in SQLite and PostgreSQL (BIGINT): a larger
# one in a request must be a 422, not an overflow in the database driver (a 500)
INT64_MAX = 2**63 - 1

# Conversations a channel owns, by their sender id's prefix: the channel (it calls the
# engine itself) is the only way in. A web client taking `telegram:<chat id>`, a guessable
# number, would read that customer's transcript and write into it.
RESERVED_SENDER_PREFIXES = ("telegram:",)  # api.telegram.channel.sender_id

# A customer's sender id on the web API: 1-128 characters, no control character, no
# reserved prefix. Compiled, so pydantic checks it with Python's `re` (its Rust engine has
# no lookahead); `(?!\n)$` because Python's `$` also matches before a final newline.
_RESERVED = "|".join(re.escape(prefix) for prefix in RESERVED_SENDER_PREFIXES)
SENDER_PATTERN = re.compile(rf"^(?!{_RESERVED})[^\x00-\x1f\x7f]{{1,128}}(?!\n)$")


class ChatRequest(BaseModel):
    sender_id: str = Field(..., pattern=SENDER_PATTERN, description="the conversation's id")
    text: str = Field("", description="the customer's message (may be empty with attachments)")
    channel: str = Field("rest", max_length=32)
    metadata: dict[str, Any] = Field(
        default_factory=dict, description='e.g. {"attachment_ids": ["…"]}'
    )


class ButtonOut(BaseModel):
    title: str
    payload: str


class ReplyOut(BaseModel):
    text: str
    buttons: list[ButtonOut] = []


class IntentOut(BaseModel):
    name: str
    confidence: float


class EntityOut(BaseModel):
    entity: str
    value: str
    start: int
    end: int


class FormOut(BaseModel):
    name: str
    requested_slot: str | None


class TicketRef(BaseModel):
    tracking_code: str
    type: str
    status: str


class HandoffOut(BaseModel):
    status: str


class ChatResponse(BaseModel):
    sender_id: str
    replies: list[ReplyOut]
    intent: IntentOut
    intent_ranking: list[IntentOut]
    entities: list[EntityOut]
    action: Literal[
        "answer",
        "smalltalk",
        "clarify",
        "fallback",
        "ticket_form",
        "return_form",
        "ticket_created",
        "handoff",
    ]
    form: FormOut | None
    ticket: TicketRef | None
    handoff: HandoffOut | None


class RasaMessage(BaseModel):
    """Rasa's REST channel request."""

    sender: str = Field("default", pattern=SENDER_PATTERN)
    message: str = ""
    metadata: dict[str, Any] = Field(default_factory=dict)


class RasaButton(BaseModel):
    title: str
    payload: str


class RasaReply(BaseModel):
    recipient_id: str
    text: str
    buttons: list[RasaButton] | None = None


class ParseRequest(BaseModel):
    """Rasa's `/model/parse` request."""

    text: str = Field(..., description="the customer's message")
    message_id: str | None = None


class OperatorReply(BaseModel):
    text: str = Field(..., min_length=1, max_length=4000)


class TicketStatusChange(BaseModel):
    status: Literal["open", "in_progress", "answered", "closed"]
    note: str = Field("", max_length=4000)


class TicketReplyIn(BaseModel):
    text: str = Field(..., min_length=1, max_length=8000)
