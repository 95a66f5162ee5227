"""Satellite pages: every satellite of the registry by series (Gaofen, Meteorological, Ocean,
Land), and a page per satellite (orbit, altitude, launch, payloads, mission, sensors) linking to
the image data hub filtered on its collections."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from eonode.api.deps import node_of
from eonode.api.scope import scope_of
from eonode.errors import NotFound, UnknownProduct
from eonode.portal.pages import render_page
from eonode.satellites import satellite, satellites_by_series

router = APIRouter(include_in_schema=False)


async def _collections_by_satellite(request: Request) -> dict[str, list[str]]:
    """The collections the visitor may see, per satellite id (image collections, not themes)."""
    scope = await scope_of(request)
    docs = await run_in_threadpool(node_of(request).catalog.list_collections)
    out: dict[str, list[str]] = {}
    for doc in docs:
        sat = doc.get("eonode:satellite")
        if isinstance(sat, dict) and "eonode:theme" not in doc and scope.sees(doc["id"]):
            out.setdefault(sat["id"], []).append(doc["id"])
    return out


def hub_link(collection_ids: list[str]) -> str:
    return "/?" + urlencode([("collections", c) for c in sorted(collection_ids)]) if collection_ids else ""


@router.get("/satellites")
async def satellite_list(request: Request) -> Response:
    held = await _collections_by_satellite(request)
    groups = [
        (series, [(sat, hub_link(held.get(sat.id, []))) for sat in sats])
        for series, sats in satellites_by_series().items()
        if sats
    ]
    return render_page(request, "satellites/list.html", "Satellites", groups=groups)


@router.get("/satellites/{satellite_id}")
async def satellite_page(request: Request, satellite_id: str) -> Response:
    try:
        sat = satellite(satellite_id)
    except UnknownProduct:
        raise NotFound(f"no satellite {satellite_id!r} in the registry") from None
    held = await _collections_by_satellite(request)
    return render_page(request, "satellites/detail.html", "Satellites", sat=sat, search=hub_link(held.get(sat.id, [])))
