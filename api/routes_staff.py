"""Tickets (customers read their own; staff list, read, change status, reply) and the
live-operator desk (queue, claim, reply, close, live events)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, WebSocket
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api.deps import ServicesDep, StaffDep, websocket_staff
from api.errors import ApiError, ErrorBody
from api.routes_chat import stream_events
from api.schemas import INT64_MAX, OperatorReply, TicketReplyIn, TicketStatusChange
from bot.domain import Ticket, TicketStatus, TicketType
from bot.entities import normalize_phone
from bot.errors import NotFoundError, TicketTransitionError
from bot.live import ALL
from bot.operators import HandoffError

__all__ = ["router"]

router = APIRouter()

AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no staff token"},
    403: {"model": ErrorBody, "description": "a token that is not allowed here"},
    404: {"model": ErrorBody, "description": "no such ticket or conversation"},
    409: {"model": ErrorBody, "description": "the state does not allow this"},
    422: {"model": ErrorBody, "description": "malformed request"},
}


def ticket_dict(ticket: Ticket, *, staff: bool) -> dict[str, Any]:
    """A ticket as JSON; customers see replies and statuses, staff see everything."""
    data: dict[str, Any] = {
        "tracking_code": ticket.tracking_code,
        "type": str(ticket.type),
        "topic": ticket.topic,
        "status": str(ticket.status),
        "created_at": ticket.created_at.isoformat(),
        "order_number": ticket.order_number,
        "message": ticket.message,
        "reason": ticket.reason,
        "history": [
            {
                "at": e.at.isoformat(),
                "status": str(e.status),
                "note": e.note,
                "actor": e.actor if staff else ("customer" if e.actor == "customer" else "support"),
            }
            for e in ticket.history
        ],
        "attachments": [{"id": a.id, "kind": a.kind, "size": a.size} for a in ticket.attachments],
    }
    if staff:
        data |= {
            "name": ticket.name,
            "email": ticket.email,
            "phone": ticket.phone,
            "sender_id": ticket.sender_id,
            "channel": ticket.channel,
        }
    return data


def _contact_matches(ticket: Ticket, contact: str) -> bool:
    contact = contact.strip()
    if "@" in contact:
        return bool(ticket.email) and ticket.email.lower() == contact.lower()
    phone = normalize_phone(contact)
    return bool(ticket.phone) and len(phone) >= 10 and ticket.phone == phone


@router.get("/v1/tickets/{tracking_code}", tags=["tickets"], responses=AUTH_ERRORS)
async def customer_ticket(
    tracking_code: str,
    services: ServicesDep,
    contact: Annotated[
        str,
        Query(min_length=3, max_length=254, description="the phone or email given with the ticket"),
    ],
) -> dict:
    """A customer reads their own ticket: the tracking code alone is not enough."""
    ticket = await run_in_threadpool(services.stores.tickets.get, tracking_code.upper())
    if ticket is None or not _contact_matches(ticket, contact):
        # the same answer whether the code or the contact is wrong
        raise ApiError(404, "ticket_not_found", "No ticket with this code and contact.")
    return ticket_dict(ticket, staff=False)


@router.get("/v1/staff/tickets", tags=["staff"], responses=AUTH_ERRORS)
async def staff_tickets(
    services: ServicesDep,
    staff: StaffDep,
    status: TicketStatus | None = None,
    type: TicketType | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
) -> dict:
    tickets = await run_in_threadpool(services.stores.tickets.list, status, type, limit, offset)
    return {"tickets": [ticket_dict(t, staff=True) for t in tickets]}


async def _ticket(services, code: str) -> Ticket:
    ticket = await run_in_threadpool(services.stores.tickets.get, code.upper())
    if ticket is None:
        raise ApiError(404, "ticket_not_found", f"No ticket {code}.")
    return ticket


@router.get("/v1/staff/tickets/{tracking_code}", tags=["staff"], responses=AUTH_ERRORS)
async def staff_ticket(tracking_code: str, services: ServicesDep, staff: StaffDep) -> dict:
    return ticket_dict(await _ticket(services, tracking_code), staff=True)


async def _set_status(services, code: str, status: TicketStatus, actor: str, note: str):
    try:
        return await run_in_threadpool(
            services.stores.tickets.set_status, code, status, actor, note
        )
    except TicketTransitionError as exc:
        raise ApiError(409, exc.code, str(exc)) from exc
    except NotFoundError as exc:
        raise ApiError(404, "ticket_not_found", str(exc)) from exc


@router.patch("/v1/staff/tickets/{tracking_code}", tags=["staff"], responses=AUTH_ERRORS)
async def staff_ticket_status(
    tracking_code: str, body: TicketStatusChange, services: ServicesDep, staff: StaffDep
) -> dict:
    """Move a ticket along open → in_progress → answered → closed."""
    ticket = await _ticket(services, tracking_code)
    ticket = await _set_status(
        services, ticket.tracking_code, TicketStatus(body.status), staff.name, body.note
    )
    return ticket_dict(ticket, staff=True)


@router.post("/v1/staff/tickets/{tracking_code}/replies", tags=["staff"], responses=AUTH_ERRORS)
async def staff_ticket_reply(
    tracking_code: str, body: TicketReplyIn, services: ServicesDep, staff: StaffDep
) -> dict:
    """Answer a ticket: the reply is kept in its history and the status becomes answered."""
    ticket = await _ticket(services, tracking_code)
    if ticket.status is TicketStatus.OPEN:
        ticket = await _set_status(
            services, ticket.tracking_code, TicketStatus.IN_PROGRESS, staff.name, ""
        )
    ticket = await _set_status(
        services, ticket.tracking_code, TicketStatus.ANSWERED, staff.name, body.text
    )
    return ticket_dict(ticket, staff=True)


@router.get("/v1/staff/attachments/{attachment_id}", tags=["staff"], responses=AUTH_ERRORS)
async def staff_attachment(attachment_id: str, services: ServicesDep, staff: StaffDep) -> Response:
    """An uploaded photo or video, for staff only, never inline in a page."""
    try:
        attachment, content = await run_in_threadpool(
            services.stores.attachments.open, attachment_id
        )
    except (NotFoundError, KeyError, FileNotFoundError) as exc:
        raise ApiError(404, "attachment_not_found", "No such attachment.") from exc
    return Response(
        content,
        media_type=attachment.mime,
        headers={
            "Content-Disposition": f'attachment; filename="{attachment.id}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


def _handoff_error(exc: HandoffError) -> ApiError:
    return ApiError(409, exc.code, str(exc))


@router.get("/v1/operator/queue", tags=["operator"], responses=AUTH_ERRORS)
async def operator_queue(services: ServicesDep, staff: StaffDep) -> dict:
    """Conversations waiting for a person (and those held), with transcript and reason."""
    await _seen(services, staff.name)
    items = await run_in_threadpool(services.desk.queue)
    return {"conversations": [item.to_dict() for item in items]}


@router.post("/v1/operator/presence", tags=["operator"], responses=AUTH_ERRORS)
async def operator_presence(services: ServicesDep, staff: StaffDep) -> dict:
    """Say the operator is online (the console calls this every minute)."""

    def presence() -> dict:
        services.desk.seen(staff.name)
        now = services.engine.clock()
        return {
            "operator": staff.name,
            "online": services.engine.presence.online(now),
            "available": services.engine.operator_available(now),
        }

    return await run_in_threadpool(presence)


async def _seen(services, operator: str) -> None:
    """Presence lives in Redis when scaled out: never wait for it on the event loop."""
    await run_in_threadpool(services.desk.seen, operator)


async def _desk(call, *args):
    try:
        return await run_in_threadpool(call, *args)
    except HandoffError as exc:
        raise _handoff_error(exc) from exc


@router.post(
    "/v1/operator/conversations/{sender_id}/claim", tags=["operator"], responses=AUTH_ERRORS
)
async def operator_claim(sender_id: str, services: ServicesDep, staff: StaffDep) -> dict:
    await _seen(services, staff.name)
    state = await _desk(services.desk.claim, sender_id, staff.name)
    return {"sender_id": sender_id, "mode": str(state.mode), "operator": state.operator}


@router.post(
    "/v1/operator/conversations/{sender_id}/messages", tags=["operator"], responses=AUTH_ERRORS
)
async def operator_message(
    sender_id: str, body: OperatorReply, services: ServicesDep, staff: StaffDep
) -> dict:
    await _seen(services, staff.name)
    entry = await _desk(services.desk.reply, sender_id, staff.name, body.text)
    return entry.to_dict()


@router.post(
    "/v1/operator/conversations/{sender_id}/close", tags=["operator"], responses=AUTH_ERRORS
)
async def operator_close(sender_id: str, services: ServicesDep, staff: StaffDep) -> dict:
    state = await _desk(services.desk.close, sender_id, staff.name)
    return {"sender_id": sender_id, "mode": str(state.mode)}


@router.websocket("/v1/operator/ws")
async def operator_events(websocket: WebSocket) -> None:
    """Every conversation's live events, for the operator console (`?token=`)."""
    staff = websocket_staff(websocket)
    if staff is None:
        await websocket.close(code=1008)
        return
    await stream_events(websocket, ALL)
