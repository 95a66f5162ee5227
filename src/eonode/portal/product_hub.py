"""The product hub: thematic Level-2 products (land cover, SST, chlorophyll…) browsable by theme
and by source satellite/instrument, with levels L2A/L2B/L2C; each result opens its product page
(preview and downloads)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from eonode.api.deps import node_of
from eonode.api.links import Urls
from eonode.api.scope import EMPTY, restrict, scope_of
from eonode.models.search import SearchQuery
from eonode.portal import hub
from eonode.portal.pages import render_page
from eonode.satellites import THEMATIC_LEVELS, satellite, themes

router = APIRouter(include_in_schema=False)


def _source_key(doc: dict[str, Any]) -> str:
    sat, sensor = doc.get("eonode:satellite") or {}, doc.get("eonode:sensor") or {}
    return f"{sat.get('id', '?')}/{sensor.get('id', '?')}"


def _sources() -> list[tuple[str, str, str]]:
    """(key, satellite name, Chinese name) of every satellite/instrument a theme is made from."""
    seen: dict[str, tuple[str, str, str]] = {}
    for th in themes():
        for src in th.sources:
            sat = satellite(src.satellite)
            key = f"{sat.id}/{src.sensor}"
            seen.setdefault(key, (key, f"{sat.name} {src.sensor.upper()}", f"{sat.name_zh} {src.sensor.upper()}"))
    return sorted(seen.values())


@router.get("/products")
async def product_hub(request: Request) -> Response:
    node = node_of(request)
    params = request.query_params
    theme_id, source, level = params.get("theme", ""), params.get("source", ""), params.get("level", "")
    paging = hub.HubForm.read(params)
    limit, page_no = paging.limit, paging.page
    scope = await scope_of(request)
    docs = [
        d for d in await run_in_threadpool(node.catalog.list_collections) if "eonode:theme" in d and scope.sees(d["id"])
    ]
    wanted = [
        d["id"]
        for d in docs
        if (not theme_id or d["eonode:theme"].get("id") == theme_id) and (not source or _source_key(d) == source)
    ]
    page = EMPTY
    if wanted:
        flt = None
        if level in THEMATIC_LEVELS:
            flt = {"op": "=", "args": [{"property": "processing:level"}, level]}
        query = SearchQuery(collections=tuple(wanted), filter=flt, limit=limit)
        query = replace(query, offset=min(hub.MAX_OFFSET, (page_no - 1) * limit))
        scoped = await restrict(request, query)
        if scoped is not None:
            page = await run_in_threadpool(node.catalog.search, scoped)
    urls = Urls.of(request, node.settings)
    by_id = {d["id"]: d for d in docs}
    rows = []
    for doc in page.items:
        row = hub.result_row(doc, urls, by_id.get(doc["collection"]))
        row["theme"] = (by_id.get(doc["collection"]) or {}).get("eonode:theme") or {}
        rows.append(row)
    counts: dict[str, int] = {}
    for d in docs:  # collections per theme and per source, to show which exist on this node
        counts[d["eonode:theme"].get("id", "")] = counts.get(d["eonode:theme"].get("id", ""), 0) + 1
        counts[_source_key(d)] = counts.get(_source_key(d), 0) + 1

    def link(**changes: str | int) -> str:
        """This view's address with ``changes`` (a new facet starts at page 1)."""
        values = {"theme": theme_id, "source": source, "level": level, "page": 1, "limit": limit, **changes}
        pairs = [(k, str(v)) for k, v in values.items() if v and not (k == "page" and v == 1)]
        pairs = [(k, v) for k, v in pairs if not (k == "limit" and v == "10")]
        return "/products?" + urlencode(pairs) if pairs else "/products"

    last = hub.pages(page.number_matched, hub.HubForm(limit=limit, page=page_no))["last"]
    return render_page(
        request,
        "products.html",
        "Product hub",
        themes=themes(),
        sources=_sources(),
        levels=THEMATIC_LEVELS,
        chosen={"theme": theme_id, "source": source, "level": level},
        counts=counts,
        link=link,
        rows=rows,
        total=page.number_matched,
        pages={"current": min(page_no, last), "last": last},
        limit=limit,
    )
