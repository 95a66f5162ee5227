"""Item search (``/search``) and the OGC API Features item endpoints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from eonode.api.deps import node_of, wants_html
from eonode.api.fields import apply_fields
from eonode.api.links import Urls, decorate_item, link
from eonode.api.responses import GeoJsonResponse
from eonode.api.scope import EMPTY, require_visible, restrict
from eonode.catalog.store import SearchPage
from eonode.errors import InvalidParameter
from eonode.models import search as search_params
from eonode.models.search import SearchQuery

router = APIRouter()

_LIST_PARAMS = {"collections", "ids", "fields", "sortby"}
_FEATURES_PARAMS = {"bbox", "datetime", "limit", "token", "filter", "filter-lang", "filter-crs", "sortby", "fields"}


def _flat_params(request: Request) -> dict[str, str]:
    """Query parameters; repeated list parameters are joined with commas."""
    out: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key in out and key in _LIST_PARAMS:
            out[key] = f"{out[key]},{value}"
        else:
            out[key] = value
    return out


LinkMaker = Callable[[str, str], dict[str, Any]]  # (token, rel) -> link


def feature_collection(
    page: SearchPage, query: SearchQuery, urls: Urls, self_href: str, paging: LinkMaker
) -> dict[str, Any]:
    features = [apply_fields(decorate_item(doc, urls), query.fields) for doc in page.items]
    links = [link("self", self_href, "application/geo+json"), link("root", urls.root, "application/json")]
    if page.next_token:
        links.append(paging(page.next_token, "next"))
    if page.prev_token:
        links.append(paging(page.prev_token, "prev"))
    return {
        "type": "FeatureCollection",
        "features": features,
        "links": links,
        "numberMatched": page.number_matched,
        "numberReturned": len(features),
    }


def _get_links(urls: Urls, path: str, params: dict[str, str]) -> LinkMaker:
    def make(token: str, rel: str) -> dict[str, Any]:
        query = {k: v for k, v in params.items() if k != "token"}
        query["token"] = token
        return link(rel, f"{urls.base}{path}?{urlencode(query)}", "application/geo+json", method="GET")

    return make


async def _run(request: Request, query: SearchQuery) -> SearchPage:
    """Search within what the principal may see (hidden collections match nothing, count nothing)."""
    node = node_of(request)
    scoped = await restrict(request, query)
    if scoped is None:
        return EMPTY
    return await run_in_threadpool(node.catalog.search, scoped)


@router.get("/search", summary="Search items (GET)")
async def search_get(request: Request) -> Response:
    node = node_of(request)
    settings = node.settings
    params = _flat_params(request)
    query = search_params.from_get(params, settings.default_limit, settings.max_limit)
    page = await _run(request, query)
    urls = Urls.of(request, settings)
    self_href = str(request.url) if not settings.public_url else f"{urls.base}/search?{request.url.query}"
    make = _get_links(urls, "/search", params)
    return GeoJsonResponse(feature_collection(page, query, urls, self_href, make))


@router.post("/search", summary="Search items (POST, JSON body)")
async def search_post(request: Request) -> Response:
    node = node_of(request)
    settings = node.settings
    raw = await request.body()
    try:
        body = orjson.loads(raw) if raw else {}
    except orjson.JSONDecodeError as exc:
        raise InvalidParameter(f"the search body is not valid JSON: {exc}") from None
    query = search_params.from_post(body, settings.default_limit, settings.max_limit)
    page = await _run(request, query)
    urls = Urls.of(request, settings)

    def make(token: str, rel: str) -> dict[str, Any]:
        return link(
            rel, urls.path("search"), "application/geo+json", method="POST", body={**body, "token": token}, merge=False
        )

    return GeoJsonResponse(feature_collection(page, query, urls, urls.path("search"), make))


@router.get("/collections/{collection_id}/items", summary="Items of a collection (OGC API Features)")
async def collection_items(request: Request, collection_id: str) -> Response:
    node = node_of(request)
    settings = node.settings
    await require_visible(request, collection_id)
    await run_in_threadpool(node.catalog.get_collection, collection_id)  # 404 for unknown ids
    params = {k: v for k, v in _flat_params(request).items() if k in _FEATURES_PARAMS}
    query = search_params.from_get(params, settings.default_limit, settings.max_limit).restricted_to(collection_id)
    page = await _run(request, query)
    urls = Urls.of(request, settings)
    path = f"/collections/{collection_id}/items"
    make = _get_links(urls, urls.items(collection_id)[len(urls.base) :], params)
    doc = feature_collection(page, query, urls, f"{urls.base}{path}", make)
    doc["links"] += [
        link("collection", urls.collection(collection_id), "application/json"),
        link("parent", urls.collection(collection_id), "application/json"),
    ]
    return GeoJsonResponse(doc)


@router.get("/collections/{collection_id}/items/{item_id}", summary="One item")
async def get_item(request: Request, collection_id: str, item_id: str) -> Response:
    if wants_html(request):  # a person: the product page
        from eonode.portal.views import product_page

        return await product_page(request, collection_id, item_id)
    node = node_of(request)
    await require_visible(request, collection_id)
    stored = await run_in_threadpool(node.catalog.get_item, collection_id, item_id)
    doc = decorate_item(stored.doc, Urls.of(request, node.settings))
    return GeoJsonResponse(doc, headers={"ETag": f'"{stored.etag}"'})
