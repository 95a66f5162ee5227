"""Portal pages over the catalogue: the image data hub (``/`` for browsers) and the product page
(an item's URL, for browsers). Static files: Leaflet from xstatic-leaflet, the portal's own
scripts, and the shipped country outlines."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
import xstatic.pkg.leaflet as xleaflet
from fastapi import APIRouter, FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from eonode.accounts.permissions import Action
from eonode.api.assets import upstream_mode
from eonode.api.deps import node_of
from eonode.api.links import Urls, decorate_item
from eonode.api.principal import principal_of
from eonode.api.scope import EMPTY, require_visible, restrict, scope_of
from eonode.errors import EonodeError
from eonode.geo.countries import countries, geojson_bytes
from eonode.portal import hub
from eonode.portal.pages import language_of, render_page
from eonode.portal.theme_portals import ThemePortal
from eonode.storage.store import blob_digest

router = APIRouter(include_in_schema=False)
STATIC = __file__.rsplit("/", 1)[0] + "/static"


def install(app: FastAPI) -> None:
    app.mount("/static/leaflet", StaticFiles(directory=xleaflet.BASE_DIR), name="leaflet")
    app.mount("/static/portal", StaticFiles(directory=STATIC + "/portal"), name="portal")
    app.include_router(router)
    from eonode.portal import product_hub, satellite_pages

    app.include_router(satellite_pages.router)
    app.include_router(product_hub.router)
    from eonode.portal import console, nodes_page

    app.include_router(console.router)
    app.include_router(nodes_page.router)
    from eonode.portal import theme_portals

    app.include_router(theme_portals.router)


@router.get("/static/countries.geojson")
async def country_outlines() -> Response:
    return Response(
        geojson_bytes(), media_type="application/geo+json", headers={"Cache-Control": "public, max-age=86400"}
    )


def script_json(value: Any) -> str:
    """JSON safe inside <script> (no "</script>" or "<!--" can appear in it)."""
    return orjson.dumps(value).decode().replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _i18n_strings(lang: str) -> dict[str, str]:
    from eonode.portal.i18n import gettext

    return {
        "drawing_rect": gettext(lang, "Drag on the map to draw a rectangle."),
        "drawing_poly": gettext(lang, "Click to add corners; double-click to finish."),
        "poly_hint": gettext(lang, "A polygon needs at least three corners."),
        "arrivals": gettext(lang, "New products have arrived since this page was loaded: {n}. Show them"),
    }


async def _portal_query(request: Request, form: hub.HubForm, max_limit: int, only: list[str] | None) -> Any:
    """The form's query within what the visitor sees (and, in a theme portal, its collections)."""
    query = form.query(max_limit)
    if only is not None:
        wanted = [c for c in (form.collections or only) if c in only]
        if not wanted:
            return None
        query = replace(query, collections=tuple(wanted))
    return await restrict(request, query)


async def hub_page(request: Request, portal: ThemePortal | None = None) -> Response:
    node = node_of(request)
    form = hub.HubForm.read(request.query_params)
    if portal is not None:
        form.base = f"/p/{portal.name}"
    scope = await scope_of(request)
    docs = [d for d in await run_in_threadpool(node.catalog.list_collections) if scope.sees(d["id"])]
    if portal is not None:
        docs = [d for d in docs if portal.matches(d["id"])]
    only = [d["id"] for d in docs] if portal is not None else None
    by_id = {d["id"]: d for d in docs}
    error = None
    page = EMPTY
    try:
        query = await _portal_query(request, form, node.settings.max_limit, only)
        if query is not None:
            page = await run_in_threadpool(node.catalog.search, query)
            last = hub.pages(page.number_matched, form)["last"]
            if not page.items and form.page > last:  # "go to page" past the end: show the last page
                form.page = last
                query = await _portal_query(request, form, node.settings.max_limit, only)
                page = await run_in_threadpool(node.catalog.search, query) if query is not None else EMPTY
    except EonodeError as exc:
        error = exc.description
    urls = Urls.of(request, node.settings)
    rows = [hub.result_row(doc, urls, by_id.get(doc["collection"])) for doc in page.items]
    footprints = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": r["id"], "geometry": r["geometry"], "properties": {"href": r["href"]}}
            for r in rows
            if r["geometry"]
        ],
    }
    lang = language_of(request)
    levels = sorted({lvl for d in docs for lvl in (d.get("summaries") or {}).get("processing:level", [])})
    country_list = sorted(countries().values(), key=lambda c: c.name(lang))
    return render_page(
        request,
        "hub.html",
        portal.title if portal else "Image data hub",
        400 if error else 200,
        portal=portal,
        form=form,
        hub_form=form,
        tree=hub.satellite_tree(docs),
        levels=levels,
        countries=country_list,
        rows=rows,
        total=page.number_matched,
        pages=hub.pages(page.number_matched, form),
        page_sizes=hub.PAGE_SIZES,
        footprints=script_json(footprints),
        i18n_strings=script_json(_i18n_strings(lang)),
        last_seq=await run_in_threadpool(node.catalog.last_seq),
        request_pairs=parse_qsl(urlsplit(form.url(page=1)).query),
        error=error,
        tile_url=node.settings.tile_url or "",
    )


async def product_page(request: Request, collection_id: str, item_id: str) -> Response:
    node = node_of(request)
    await require_visible(request, collection_id)
    stored = await run_in_threadpool(node.catalog.get_item, collection_id, item_id)
    collection = await run_in_threadpool(node.catalog.get_collection, collection_id)
    urls = Urls.of(request, node.settings)
    stored_hrefs = {key: str(asset.get("href", "")) for key, asset in stored.doc.get("assets", {}).items()}
    doc = decorate_item(stored.doc, urls)  # in place: the stored hrefs are read before
    principal = principal_of(request)
    decision = await run_in_threadpool(node.accounts.access.decide, principal, Action.DOWNLOAD, collection_id)
    catalogue_only = upstream_mode(request) == "metadata"  # data is downloaded from the parent node
    assets: list[dict[str, Any]] = []
    for key, asset in doc.get("assets", {}).items():
        roles = asset.get("roles") or []
        preview = any(r in roles for r in ("thumbnail", "overview", "metadata", "visual")) and "data" not in roles
        stored_href = stored_hrefs.get(key, "")
        upstream = not preview and urls.served_here(stored_href) and blob_digest(stored_href) is None
        assets.append(
            {
                "key": key,
                "title": asset.get("title") or key,
                "href": asset.get("href"),
                "type": asset.get("type", ""),
                "roles": roles,
                "size": asset.get("file:size"),
                "checksum": asset.get("file:checksum", ""),
                "allowed": preview or decision.allowed,
                "upstream": upstream,
                "at_parent": stored_href if upstream and catalogue_only else None,
                "reason": "" if preview or decision.allowed else decision.reason,
            }
        )
    quicklook = next((a["href"] for a in assets if "overview" in a["roles"]), None) or next(
        (a["href"] for a in assets if "thumbnail" in a["roles"]), None
    )
    props = doc.get("properties", {})
    return render_page(
        request,
        "product.html",
        "Product",
        item=doc,
        props=sorted(props.items()),
        collection=collection,
        satellite=collection.get("eonode:satellite") or {},
        assets=assets,
        quicklook=quicklook or "",
        footprint=orjson.dumps(doc.get("geometry")).decode(),
        tile_url=node.settings.tile_url or "",
        signed_in=principal.signed_in,
        stac_href=f"{urls.item(collection_id, item_id)}?f=json",
    )
