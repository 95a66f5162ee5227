"""The console's Nodes page (``/console/nodes``): the child nodes of this node — requests waiting
for a decision, the tree below it as the children's status reports describe it, a map of the
territories they receive and how far behind each one is.

It is an edge over :class:`~eonode.federation.children.Children`, the same service the
``/admin/nodes`` API and ``eonode nodes`` use, so every decision is checked and audited in one
place. Same gate as the rest of the console: operators see the page, administrators change
things, and every form carries the CSRF token.

What children report is theirs to say, so each value is checked for its type before the
template meets it (:func:`branch`): a child with a bug or a grudge cannot break the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from eonode.accounts.permissions import Action
from eonode.api.account_pages import Message, checked_form, localized
from eonode.api.account_pages import field as form_field
from eonode.api.deps import node_of
from eonode.api.principal import principal_of
from eonode.errors import EonodeError, InvalidParameter
from eonode.federation.agreement import Agreement
from eonode.federation.children import Child, Children
from eonode.portal.pages import language_of, render_page
from eonode.portal.views import script_json

router = APIRouter(prefix="/console/nodes", include_in_schema=False)
TEMPLATE, TITLE = "console_nodes.html", "Nodes"
HISTORY = 100  # reports per child behind the lag charts
MAX_DEPTH = 8  # levels of the tree shown below a child (its reports nest without limit)
LATE_AFTER = 3  # a child is late after this many missed status intervals
SPARK_WIDTH, SPARK_HEIGHT = 160, 32
# One colour per approved child, shared by the map, its legend and the lag charts.
PALETTE = ("#0b5cad", "#c0392b", "#1e8449", "#8e44ad", "#d35400", "#117a65", "#b7950b", "#2e4053")


@dataclass(frozen=True, slots=True)
class Branch:
    """One node of the tree below this one, as the latest report about it says."""

    name: str
    reported: datetime | None
    lag_events: float | None = None
    lag_seconds: float | None = None
    items: float | None = None
    queue: float | None = None
    connected: bool | None = None
    errors: tuple[str, ...] = ()
    children: tuple[Branch, ...] = ()


@dataclass(frozen=True, slots=True)
class Spark:
    """A small line chart of one value over a child's recent reports (oldest on the left)."""

    points: str  # SVG polyline points
    latest: float
    highest: float
    count: int


@dataclass(slots=True)
class Row:
    """One decided child in the tree (approved, revoked or rejected)."""

    child: Child
    colour: str = ""
    latest: Branch | None = None
    late: bool = False
    sparks: dict[str, Spark | None] = field(default_factory=dict)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed is not None and parsed.tzinfo is None else parsed


def branch(name: Any, reported: Any, body: Any, depth: int = 0) -> Branch:
    """A report (and, recursively, the reports about its own children) as a :class:`Branch`."""
    body = body if isinstance(body, Mapping) else {}
    below = body.get("children")
    kids: list[Branch] = []
    if isinstance(below, list) and depth < MAX_DEPTH:
        for entry in below[:200]:
            if isinstance(entry, Mapping):
                kids.append(branch(entry.get("name"), entry.get("reported"), entry.get("report"), depth + 1))
    errors = body.get("errors")
    connected = body.get("connected")
    return Branch(
        name=str(name or "?")[:100],
        reported=_when(reported),
        lag_events=_number(body.get("lag_events")),
        lag_seconds=_number(body.get("lag_seconds")),
        items=_number(body.get("items")),
        queue=_number(body.get("queue")),
        connected=connected if isinstance(connected, bool) else None,
        errors=tuple(str(e)[:500] for e in errors[-10:]) if isinstance(errors, list) else (),
        children=tuple(kids),
    )


def sparkline(values: Sequence[float]) -> Spark | None:
    """The polyline of ``values`` scaled into the chart (zero at the bottom); None without values."""
    if not values:
        return None
    highest = max(max(values), 0.0)
    steps = max(len(values) - 1, 1)
    series = values if len(values) > 1 else [values[0], values[0]]
    usable_w, usable_h = SPARK_WIDTH - 2, SPARK_HEIGHT - 2
    points = " ".join(
        f"{1 + i * usable_w / steps:.1f},{SPARK_HEIGHT - 1 - (max(v, 0.0) / highest * usable_h if highest else 0):.1f}"
        for i, v in enumerate(series)
    )
    return Spark(points, values[-1], highest, len(values))


def _territory(agreement: Agreement | None) -> dict[str, Any]:
    """What the map draws: country codes, a geometry, or neither (everywhere)."""
    territory = None if agreement is None else agreement.territory
    if isinstance(territory, dict):
        return {"codes": None, "geometry": territory}
    return {"codes": list(territory) if territory else None, "geometry": None}


def _row(children: Children, child: Child, colour: str, now: datetime, interval: float) -> Row:
    row = Row(child, colour)
    if child.status == "rejected":
        return row  # a rejected node never reported
    history = children.reports(child.id, HISTORY)[::-1]  # oldest first
    if history:
        at, body = history[-1]
        row.latest = branch(child.name, at, body)
        row.late = child.status == "approved" and now - at > timedelta(seconds=LATE_AFTER * interval)
    for key in ("lag_events", "lag_seconds"):
        row.sparks[key] = sparkline([v for _at, b in history if (v := _number(b.get(key))) is not None])
    return row


def gather(children: Children, now: datetime, interval: float) -> dict[str, Any]:
    """Everything the page shows, read in one go (called in a worker thread)."""
    pending: list[Child] = []
    rows: list[Row] = []
    territories: list[dict[str, Any]] = []
    for child in children.all():
        if child.status == "pending":
            pending.append(child)
            continue
        colour = ""
        if child.status == "approved":
            colour = PALETTE[len(territories) % len(PALETTE)]
            territories.append({"name": child.name, "colour": colour, **_territory(child.agreement)})
        rows.append(_row(children, child, colour, now, interval))
    return {
        "pending": pending,
        "rows": rows,
        "approved": [r for r in rows if r.child.status == "approved"],
        "territories": script_json(territories),
    }


def _gate(request: Request, action: Action) -> Response | None:
    """A redirect to log in, or a refusal page, unless the signed-in user may do ``action``."""
    principal = principal_of(request)
    if principal.via != "session" or principal.user is None:
        return RedirectResponse("/account/login?next=/console/nodes", status_code=303)
    decision = node_of(request).accounts.access.decide(principal, action)
    if not decision:
        error = localized(language_of(request), decision.reason)
        return render_page(request, TEMPLATE, TITLE, 403, error=error, denied=True)
    return None


def _pretty(value: Mapping[str, Any]) -> str:
    """An agreement to edit by hand: one field a line, its value compact (indented JSON would
    give every coordinate of a drawn territory a line of its own)."""
    lines = [f"  {orjson.dumps(k).decode()}: {orjson.dumps(v).decode()}" for k, v in value.items()]
    return "{\n" + ",\n".join(lines) + "\n}" if lines else "{}"


async def _page(
    request: Request, status: int = 200, error: Message | None = None, drafts: dict[int, str] | None = None
) -> Response:
    node = node_of(request)
    now = node.accounts.users.clock()
    facts = await run_in_threadpool(gather, node.children, now, node.settings.status_seconds)
    prefilled = {c.id: _pretty(c.requested) for c in facts["pending"]} | {
        r.child.id: _pretty(r.child.agreement.model_dump(mode="json", exclude_defaults=True))
        for r in facts["approved"]
        if r.child.agreement is not None
    }
    return render_page(
        request,
        TEMPLATE,
        TITLE,
        status,
        admin=bool(node.accounts.access.decide(principal_of(request), Action.ADMINISTER_USERS)),
        drafts=prefilled | (drafts or {}),
        opened=set(drafts or {}),
        tile_url=node.settings.tile_url or "",
        error=localized(language_of(request), error),
        spark_size=(SPARK_WIDTH, SPARK_HEIGHT),
        history=HISTORY,
        **facts,
    )


@router.get("")
async def nodes(request: Request) -> Response:
    return _gate(request, Action.LIST_USERS) or await _page(request)


Change = Callable[[Children, FormData, str], object]


async def _change(request: Request, child_id: int, change: Change) -> Response:
    """Check the form and the user, make the change through ``node.children`` (which audits), and
    show the page again with the reason when it is refused (the agreement as it was typed)."""
    form = await checked_form(request)
    if refused := _gate(request, Action.ADMINISTER_USERS):
        return refused
    children, actor = node_of(request).children, principal_of(request).label
    try:
        await run_in_threadpool(change, children, form, actor)
    except EonodeError as exc:
        drafts = {child_id: form_field(form, "agreement")} if "agreement" in form else None
        return await _page(request, exc.status, exc, drafts)
    return RedirectResponse("/console/nodes#tree", status_code=303)


def _agreement(form: FormData, fallback: Mapping[str, Any]) -> Agreement:
    """The agreement typed in the form (JSON), or ``fallback`` when the field is left empty."""
    text = form_field(form, "agreement").strip()
    return Agreement.parse(text if text else fallback)


def _reason(form: FormData) -> str:
    return form_field(form, "reason").strip()[:500]


@router.post("/{child_id}/approve")
async def approve(request: Request, child_id: int) -> Response:
    def act(children: Children, form: FormData, actor: str) -> object:
        agreement = _agreement(form, children.get(child_id).requested)
        return children.approve(child_id, agreement, actor=actor)

    return await _change(request, child_id, act)


@router.post("/{child_id}/reject")
async def reject(request: Request, child_id: int) -> Response:
    return await _change(request, child_id, lambda c, form, actor: c.reject(child_id, _reason(form), actor=actor))


@router.post("/{child_id}/revoke")
async def revoke(request: Request, child_id: int) -> Response:
    return await _change(request, child_id, lambda c, form, actor: c.revoke(child_id, _reason(form), actor=actor))


@router.post("/{child_id}/agreement")
async def agreement(request: Request, child_id: int) -> Response:
    def act(children: Children, form: FormData, actor: str) -> object:
        current = children.get(child_id).agreement
        fallback = current.model_dump(mode="json") if current else {}
        return children.set_agreement(child_id, _agreement(form, fallback), actor=actor)

    return await _change(request, child_id, act)


@router.post("/{child_id}/resync")
async def resync(request: Request, child_id: int) -> Response:
    def act(children: Children, form: FormData, actor: str) -> object:
        text = form_field(form, "since").strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            raise InvalidParameter(f"resynchronise from a feed sequence number (0 or more), not {text!r}")
        return children.ask_resync(child_id, int(text), actor=actor)

    return await _change(request, child_id, act)
