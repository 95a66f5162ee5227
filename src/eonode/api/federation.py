"""Federation over HTTP.

For child nodes (their machine account's key): ``/federation/me`` (their agreement),
``/federation/feed`` and ``/federation/stream`` (their filtered change feed, JSON pages or
Server-Sent Events resuming from ``Last-Event-ID``), ``/federation/status`` (a report up; the
reply may ask for a resynchronisation) and ``/federation/ack`` (assets verified).
For nodes asking to join: ``POST /federation/join``, and ``GET /federation/join`` with the
credential in ``X-Eonode-Node-Key`` to learn the decision.
For administrators: ``/admin/nodes`` (list, approve, reject, revoke, agreements, resync, reports).

An open stream wakes as soon as this process commits a change to the catalogue (a
:class:`CommitSignal` fed by the store's commit listener); changes committed by other processes
(``eonode ingest``, another server worker) are found by a poll every ``POLL_SECONDS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from eonode.accounts.model import Role, UserStatus
from eonode.accounts.permissions import Action
from eonode.api.admin import allowed
from eonode.api.deps import node_of
from eonode.api.links import Urls, decorate_item
from eonode.api.principal import principal_of
from eonode.api.responses import JsonResponse
from eonode.api.scope import scope_of
from eonode.errors import Forbidden, InvalidParameter, Unauthorized
from eonode.federation.agreement import Agreement
from eonode.federation.children import Child, Status
from eonode.federation.feed import FeedPage, child_page
from eonode.federation.reconcile import parent_entries, summarise

router = APIRouter(tags=["federation"])
admin_router = APIRouter(prefix="/admin/nodes", tags=["administration"])
POLL_SECONDS = 1.0  # how often an idle stream looks for events committed by other processes
REVOCATION_CHECK_SECONDS = 1.0
EMBARGO_RECHECK_SECONDS = 0.1  # the shortest wait for an event held back by an embargo
KEEPALIVE_SECONDS = 15


class CommitSignal:
    """Tells waiting stream handlers that the catalogue committed a change in this process.

    :meth:`notify` is a commit listener, called in the writing thread; :meth:`wait` is awaited
    by handlers on the server's event loop. A commit between a handler's last look at the
    catalogue and its wait is not missed: the handler passes the last sequence number it saw.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_seq = 0
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def notify(self, last_seq: int) -> None:
        with self._lock:
            self._last_seq = max(self._last_seq, last_seq)
            waiters, self._waiters = self._waiters, []
        for loop, waiter in waiters:
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits there
                loop.call_soon_threadsafe(_wake, waiter)

    async def wait(self, seen: int, timeout: float) -> None:
        """Return once a change after sequence number ``seen`` is committed here, or after
        ``timeout`` seconds (changes committed by other processes are not signalled)."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()
        with self._lock:
            if self._last_seq > seen:
                return
            self._waiters.append((loop, waiter))
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            pass
        finally:
            with self._lock, contextlib.suppress(ValueError):
                self._waiters.remove((loop, waiter))


def _wake(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


def commit_signal(request: Request) -> CommitSignal:
    """This app's signal, made and hooked to the node's catalogue by the first stream opened
    (on the event loop, so two streams cannot both make one)."""
    state = request.app.state
    signal: CommitSignal | None = getattr(state, "commit_signal", None)
    if signal is None:
        signal = state.commit_signal = CommitSignal()
        node_of(request).catalog.add_commit_listener(signal.notify)
    return signal


class JoinRequest(BaseModel):
    name: str = Field(..., description="2–27 lower-case letters, digits and hyphens, starting with a letter")
    contact: str = Field(..., description="E-mail address of the node's operator")
    key: str = Field(..., description="The credential the node will use (an eonode API key it generated)")
    organisation: str = ""
    country: str = ""
    url: str = Field("", description="The node's public address, if it has one")
    territory: dict[str, Any] | list[str] | None = None
    collections: list[str] | None = None
    levels: list[str] | None = None
    max_cloud_cover: float | None = None
    mode: str = "full"


def _child_of(request: Request) -> Child:
    """The approved child node this request comes from (its machine account's key)."""
    principal = principal_of(request)
    if principal.role is not Role.NODE or principal.user is None:
        raise (Forbidden if principal.signed_in else Unauthorized)("only an approved child node may use this")
    child = node_of(request).children.of_user(principal.user.id)
    if child is None or child.agreement is None:
        raise Forbidden("this node's enrollment is not approved")
    return child


@router.post("/federation/join", status_code=202, summary="Ask to join this node as a child node")
async def join(request: Request, body: JoinRequest) -> Response:
    wanted = body.model_dump(include={"territory", "collections", "levels", "max_cloud_cover", "mode"})
    child = await run_in_threadpool(
        lambda: node_of(request).children.request(
            name=body.name,
            contact=body.contact,
            key=body.key,
            organisation=body.organisation,
            country=body.country,
            url=body.url,
            requested={k: v for k, v in wanted.items() if v is not None},
        )
    )
    return JsonResponse({"id": child.id, "name": child.name, "status": child.status}, status_code=202)


@router.get("/federation/join", summary="The decision on a join request (credential in X-Eonode-Node-Key)")
async def join_status(request: Request, x_eonode_node_key: str = Header(...)) -> Response:
    child = await run_in_threadpool(node_of(request).children.by_key, x_eonode_node_key)
    if child is None:
        raise Unauthorized("no join request was made with this credential")
    return JsonResponse({"id": child.id, "name": child.name, "status": child.status, "reason": child.reason})


@router.get("/federation/me", summary="This child node's agreement")
async def me(request: Request) -> Response:
    child = await run_in_threadpool(_child_of, request)
    node = node_of(request)
    return JsonResponse(
        {**child.public(), "parent": {"title": node.settings.title, "last_seq": node.catalog.last_seq()}}
    )


async def _page(request: Request, child: Child, since: int, limit: int) -> FeedPage:
    node = node_of(request)
    scope = await scope_of(request)
    urls = Urls.of(request, node.settings)
    assert child.agreement is not None
    return await run_in_threadpool(
        child_page,
        node.catalog,
        child.agreement,
        since,
        limit,
        datetime.now(UTC),
        sees=scope.sees,
        decorate=lambda doc: decorate_item(doc, urls),
    )


def _still_approved(node: Any, child: Child) -> bool:
    """The child is approved and its machine account active (revocation disables it)."""
    if child.user_id is None or node.children.of_user(child.user_id) is None:
        return False
    return bool(node.accounts.store.get_user(child.user_id).status is UserStatus.ACTIVE)


@router.get("/federation/feed", summary="This child node's filtered change feed after a sequence number")
async def feed(request: Request, since: int = Query(0, ge=0), limit: int = Query(500, ge=1, le=5000)) -> Response:
    child = await run_in_threadpool(_child_of, request)
    page = await _page(request, child, since, limit)
    last = await run_in_threadpool(node_of(request).catalog.last_seq)
    return JsonResponse(
        {
            "events": page.events,
            "next": page.cursor,
            "more": page.more,
            "last": last,
            "release_at": page.release_at.isoformat() if page.release_at else None,
        }
    )


@router.get("/federation/stream", summary="The same feed as Server-Sent Events (resumes from Last-Event-ID)")
async def stream(
    request: Request, since: int = Query(0, ge=0), last_event_id: str | None = Header(None)
) -> EventSourceResponse:
    child = await run_in_threadpool(_child_of, request)
    if last_event_id:
        if not last_event_id.isdigit():
            raise InvalidParameter("Last-Event-ID must be a feed sequence number")
        since = int(last_event_id)
    node = node_of(request)
    commits = commit_signal(request)

    async def events() -> AsyncIterator[ServerSentEvent]:
        cursor, seen = since, -1
        checked = time.monotonic()
        while not await request.is_disconnected():
            if time.monotonic() - checked >= REVOCATION_CHECK_SECONDS:  # a revoked node is cut off at once
                checked = time.monotonic()
                if not await run_in_threadpool(_still_approved, node, child):
                    return
            last = await run_in_threadpool(node.catalog.last_seq)
            if last > cursor and last != seen:
                page = await _page(request, child, cursor, 500)
                for e in page.events:  # "last": how far the parent is, so a child far behind can page
                    yield ServerSentEvent(
                        data=orjson.dumps({**e, "last": last}).decode(), id=str(e["seq"]), event="change"
                    )
                if page.cursor != cursor and (not page.events or page.events[-1]["seq"] != page.cursor):
                    yield ServerSentEvent(
                        data=orjson.dumps({"next": page.cursor}).decode(), id=str(page.cursor), event="cursor"
                    )
                cursor = page.cursor
                if page.more:
                    continue
                seen = last if page.release_at is None else -1  # held back by an embargo: look again
                if page.release_at is not None:
                    wait = (page.release_at - datetime.now(UTC)).total_seconds()
                    await asyncio.sleep(min(max(wait, EMBARGO_RECHECK_SECONDS), KEEPALIVE_SECONDS))
                    continue
            until_check = checked + REVOCATION_CHECK_SECONDS - time.monotonic()
            await commits.wait(last, max(0.0, min(POLL_SECONDS, until_check)))

    return EventSourceResponse(events(), ping=KEEPALIVE_SECONDS, send_timeout=60)


@router.post("/federation/status", summary="A child node's status report")
async def status(request: Request) -> Response:
    child = await run_in_threadpool(_child_of, request)
    body = orjson.loads(await request.body() or b"{}")
    if not isinstance(body, dict):
        raise InvalidParameter("a status report is a JSON object")
    node = node_of(request)
    resync = await run_in_threadpool(node.children.report, child, body)
    return JsonResponse({"resync_from": resync, "last_seq": await run_in_threadpool(node.catalog.last_seq)})


@router.get("/federation/inventory", summary="What this child should hold: per collection and day, or one day's items")
async def inventory(
    request: Request,
    collection: str | None = None,
    day: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$"),
) -> Response:
    child = await run_in_threadpool(_child_of, request)
    if day is not None and collection is None:
        raise InvalidParameter("a day's listing needs its collection")
    node = node_of(request)
    scope = await scope_of(request)
    assert child.agreement is not None
    agreement = child.agreement

    def entries() -> Any:
        return parent_entries(
            node.catalog, agreement, datetime.now(UTC), sees=scope.sees, collection=collection, day=day
        )

    if day is None:
        return JsonResponse({"collections": await run_in_threadpool(lambda: summarise(entries()))})
    listed = await run_in_threadpool(lambda: {item_id: version for _c, _d, item_id, version in entries()})
    return JsonResponse({"collection": collection, "day": day, "items": listed})


class Delivered(BaseModel):
    collection: str
    item: str
    asset: str
    sha256: str = Field(..., pattern=r"^[0-9a-f]{64}$")


class Ack(BaseModel):
    delivered: list[Delivered] = Field(..., max_length=10_000)


@router.post("/federation/ack", summary="Assets the child verified")
async def ack(request: Request, body: Ack) -> Response:
    child = await run_in_threadpool(_child_of, request)
    count = await run_in_threadpool(
        node_of(request).children.acknowledge, child, [d.model_dump() for d in body.delivered]
    )
    return JsonResponse({"acknowledged": count})


# -- administration ----------------------------------------------------------------------------
class Decision(BaseModel):
    agreement: dict[str, Any] | None = None
    reason: str = Field("", max_length=500)


@admin_router.get("", summary="Child nodes: requests, approved, revoked")
async def list_nodes(request: Request, status: Status | None = None) -> Response:
    await allowed(request, Action.LIST_USERS)
    children = await run_in_threadpool(node_of(request).children.all, status)
    return JsonResponse({"nodes": [c.public() for c in children]})


@admin_router.get("/tree", summary="The whole tree below this node, with each node's latest report")
async def tree(request: Request) -> Response:
    await allowed(request, Action.LIST_USERS)
    return JsonResponse(await run_in_threadpool(node_tree, request))


def node_tree(request: Request) -> dict[str, Any]:
    node = node_of(request)
    out = []
    for child in node.children.all():
        reports = node.children.reports(child.id, limit=1) if child.status == "approved" else []
        at, body = reports[0] if reports else (None, {})
        out.append({**child.public(), "reported": at.isoformat() if at else None, "report": body})
    return {"name": node.settings.title, "last_seq": node.catalog.last_seq(), "children": out}


@admin_router.get("/{child_id}/reports", summary="A child's recent status reports")
async def reports(request: Request, child_id: int, limit: int = Query(100, ge=1, le=1000)) -> Response:
    await allowed(request, Action.LIST_USERS)
    rows = await run_in_threadpool(node_of(request).children.reports, child_id, limit)
    return JsonResponse({"reports": [{"at": at.isoformat(), **body} for at, body in rows]})


@admin_router.get("/{child_id}/deliveries", summary="Assets a child confirmed it holds")
async def deliveries(request: Request, child_id: int, collection: str | None = None) -> Response:
    await allowed(request, Action.LIST_USERS)
    rows = await run_in_threadpool(node_of(request).children.deliveries, child_id, collection)
    return JsonResponse({"deliveries": rows})


@admin_router.post("/{child_id}/approve", summary="Approve a join request with an agreement")
async def approve(request: Request, child_id: int, body: Decision) -> Response:
    actor = await allowed(request, Action.ADMINISTER_USERS)
    children = node_of(request).children
    child = await run_in_threadpool(children.get, child_id)
    agreement = Agreement.parse(body.agreement if body.agreement is not None else child.requested)
    done = await run_in_threadpool(lambda: children.approve(child_id, agreement, actor=actor))
    return JsonResponse(done.public())


@admin_router.post("/{child_id}/reject", summary="Reject a join request")
async def reject(request: Request, child_id: int, body: Decision) -> Response:
    actor = await allowed(request, Action.ADMINISTER_USERS)
    done = await run_in_threadpool(lambda: node_of(request).children.reject(child_id, body.reason, actor=actor))
    return JsonResponse(done.public())


@admin_router.post("/{child_id}/revoke", summary="Revoke an approved node (takes effect at once)")
async def revoke(request: Request, child_id: int, body: Decision) -> Response:
    actor = await allowed(request, Action.ADMINISTER_USERS)
    done = await run_in_threadpool(lambda: node_of(request).children.revoke(child_id, body.reason, actor=actor))
    return JsonResponse(done.public())


@admin_router.put("/{child_id}/agreement", summary="Change a child's agreement")
async def put_agreement(request: Request, child_id: int, body: dict[str, Any]) -> Response:
    actor = await allowed(request, Action.ADMINISTER_USERS)
    agreement = Agreement.parse(body)
    done = await run_in_threadpool(lambda: node_of(request).children.set_agreement(child_id, agreement, actor=actor))
    return JsonResponse(done.public())


class Resync(BaseModel):
    since: int = Field(0, ge=0)


@admin_router.post("/{child_id}/resync", summary="Ask a child to read its feed again from a sequence number")
async def resync(request: Request, child_id: int, body: Resync) -> Response:
    actor = await allowed(request, Action.ADMINISTER_USERS)
    done = await run_in_threadpool(lambda: node_of(request).children.ask_resync(child_id, body.since, actor=actor))
    return JsonResponse(done.public())
