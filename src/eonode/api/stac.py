"""STAC API core: landing page, conformance, collections, queryables."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from eonode import STAC_VERSION
from eonode.api.deps import node_of, wants_html
from eonode.api.links import Urls, decorate_collection, link
from eonode.api.responses import JsonResponse, SchemaJsonResponse
from eonode.api.scope import require_visible, scope_of, visible_ids
from eonode.catalog.properties import queryables_schema

router = APIRouter()

STAC_API = "https://api.stacspec.org/v1.0.0"
OGC = "http://www.opengis.net/spec"
CONFORMANCE = [
    f"{STAC_API}/core",
    f"{STAC_API}/collections",
    f"{STAC_API}/ogcapi-features",
    f"{STAC_API}/item-search",
    f"{STAC_API}/item-search#fields",
    f"{STAC_API}/item-search#sort",
    f"{STAC_API}/item-search#filter",
    f"{STAC_API}/ogcapi-features#fields",
    f"{STAC_API}/ogcapi-features#sort",
    f"{STAC_API}/ogcapi-features#filter",
    f"{STAC_API}/ogcapi-features/extensions/transaction",
    f"{STAC_API}/collections/extensions/transaction",
    f"{OGC}/ogcapi-features-1/1.0/conf/core",
    f"{OGC}/ogcapi-features-1/1.0/conf/oas30",
    f"{OGC}/ogcapi-features-1/1.0/conf/geojson",
    f"{OGC}/ogcapi-features-3/1.0/conf/filter",
    f"{OGC}/ogcapi-features-3/1.0/conf/features-filter",
    f"{OGC}/ogcapi-features-4/1.0/conf/simpletx",
    f"{OGC}/cql2/1.0/conf/cql2-text",
    f"{OGC}/cql2/1.0/conf/cql2-json",
    f"{OGC}/cql2/1.0/conf/basic-cql2",
    f"{OGC}/cql2/1.0/conf/advanced-comparison-operators",
    f"{OGC}/cql2/1.0/conf/case-insensitive-comparison",
    f"{OGC}/cql2/1.0/conf/basic-spatial-functions",
    f"{OGC}/cql2/1.0/conf/basic-spatial-functions-plus",
    f"{OGC}/cql2/1.0/conf/spatial-functions",
    f"{OGC}/cql2/1.0/conf/temporal-functions",
    f"{OGC}/cql2/1.0/conf/property-property",
]
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"


def catalog_id(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "eonode"


def landing_document(request: Request, collections: list[dict[str, Any]]) -> dict[str, Any]:
    node = node_of(request)
    urls = Urls.of(request, node.settings)
    links = [
        link("self", urls.root, "application/json"),
        link("root", urls.root, "application/json"),
        link("conformance", urls.path("conformance"), "application/json"),
        link("data", urls.path("collections"), "application/json"),
        link("search", urls.path("search"), "application/geo+json", method="GET"),
        link("search", urls.path("search"), "application/geo+json", method="POST"),
        link(QUERYABLES_REL, urls.path("queryables"), "application/schema+json", "Queryables"),
        link("service-desc", urls.path("api"), "application/vnd.oai.openapi+json;version=3.0"),
        link("service-doc", urls.path("api.html"), "text/html"),
    ]
    links += [link("child", urls.collection(c["id"]), "application/json", c.get("title")) for c in collections]
    return {
        "type": "Catalog",
        "stac_version": STAC_VERSION,
        "id": catalog_id(node.settings.title),
        "title": node.settings.title,
        "description": node.settings.description,
        "conformsTo": CONFORMANCE,
        "links": links,
    }


@router.get("/", summary="Landing page")
async def landing(request: Request) -> Response:
    node = node_of(request)
    scope = await scope_of(request)
    collections = [c for c in await run_in_threadpool(node.catalog.list_collections) if scope.sees(c["id"])]
    if wants_html(request):  # a person: the image data hub
        from eonode.portal.views import hub_page

        return await hub_page(request)
    return JsonResponse(landing_document(request, collections))


@router.get("/conformance", summary="Conformance classes")
async def conformance() -> Response:
    return JsonResponse({"conformsTo": CONFORMANCE})


@router.get("/collections", summary="All collections")
async def list_collections(request: Request) -> Response:
    node = node_of(request)
    urls = Urls.of(request, node.settings)
    scope = await scope_of(request)
    docs = [d for d in await run_in_threadpool(node.catalog.list_collections) if scope.sees(d["id"])]
    return JsonResponse(
        {
            "collections": [decorate_collection(d, urls) for d in docs],
            "links": [
                link("self", urls.path("collections"), "application/json"),
                link("root", urls.root, "application/json"),
                link("parent", urls.root, "application/json"),
            ],
        }
    )


@router.get("/collections/{collection_id}", summary="One collection")
async def get_collection(request: Request, collection_id: str) -> Response:
    node = node_of(request)
    await require_visible(request, collection_id)
    doc = await run_in_threadpool(node.catalog.get_collection, collection_id)
    return JsonResponse(decorate_collection(doc, Urls.of(request, node.settings)))


@router.get("/queryables", summary="Properties that filters may use, for all collections")
async def queryables(request: Request) -> Response:
    node = node_of(request)
    urls = Urls.of(request, node.settings)
    within = await visible_ids(request)
    extra = await run_in_threadpool(lambda: node.catalog.queryable_summaries(within=within))
    return SchemaJsonResponse(queryables_schema(urls.path("queryables"), f"{node.settings.title} queryables", extra))


@router.get("/collections/{collection_id}/queryables", summary="Properties that filters may use, per collection")
async def collection_queryables(request: Request, collection_id: str) -> Response:
    node = node_of(request)
    urls = Urls.of(request, node.settings)
    await require_visible(request, collection_id)
    extra = await run_in_threadpool(node.catalog.queryable_summaries, collection_id)
    url = urls.path("collections", collection_id, "queryables")
    return SchemaJsonResponse(queryables_schema(url, f"{collection_id} queryables", extra))
