"""The STAC Transaction extension for collections and items (writers only).

Writes honour ``If-Match`` (the ETag of the version you read) so two editors cannot silently
overwrite each other; storing an identical document is a no-op.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from eonode.api.deps import node_of, require_writer
from eonode.api.links import Urls, decorate_collection, decorate_item
from eonode.api.responses import GeoJsonResponse, JsonResponse
from eonode.catalog.documents import prepare_item
from eonode.catalog.store import WriteResult
from eonode.errors import EonodeError, InvalidParameter, InvalidStac

router = APIRouter(dependencies=[Depends(require_writer)])


async def _json(request: Request) -> Any:
    raw = await request.body()
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidParameter(f"the body is not valid JSON: {exc}") from None


def _if_match(request: Request) -> str | None:
    value = request.headers.get("if-match")
    return value.strip().strip('"').removeprefix("W/").strip('"') if value else None


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _etag(result: WriteResult) -> dict[str, str]:
    return {"ETag": f'"{result.etag}"'}


# -- collections --------------------------------------------------------------------------------
@router.post("/collections", status_code=201, summary="Create a collection")
async def create_collection(request: Request) -> Response:
    node = node_of(request)
    urls = Urls.of(request, node.settings)
    result = await run_in_threadpool(node.catalog.create_collection, await _json(request))
    headers = {**_etag(result), "Location": urls.collection(result.doc["id"])}
    return JsonResponse(decorate_collection(result.doc, urls), status_code=201, headers=headers)


@router.put("/collections/{collection_id}", summary="Replace a collection")
async def put_collection(request: Request, collection_id: str) -> Response:
    node = node_of(request)
    doc = await _json(request)
    if isinstance(doc, dict) and doc.get("id", collection_id) != collection_id:
        raise InvalidStac(f"collection id {doc.get('id')!r} does not match the URL ({collection_id!r})")
    if isinstance(doc, dict):
        doc.setdefault("id", collection_id)
    result = await run_in_threadpool(
        lambda: node.catalog.put_collection(doc, must_exist=True, if_match=_if_match(request))
    )
    return JsonResponse(decorate_collection(result.doc, Urls.of(request, node.settings)), headers=_etag(result))


@router.patch("/collections/{collection_id}", summary="Change parts of a collection (JSON merge patch)")
async def patch_collection(request: Request, collection_id: str) -> Response:
    node = node_of(request)
    patch = await _json(request)
    current = await run_in_threadpool(node.catalog.get_collection, collection_id)
    merged = merge_patch(current, patch)
    merged["id"] = collection_id
    result = await run_in_threadpool(
        lambda: node.catalog.put_collection(merged, must_exist=True, if_match=_if_match(request))
    )
    return JsonResponse(decorate_collection(result.doc, Urls.of(request, node.settings)), headers=_etag(result))


@router.delete("/collections/{collection_id}", status_code=204, summary="Delete a collection and its items")
async def delete_collection(request: Request, collection_id: str) -> Response:
    await run_in_threadpool(node_of(request).catalog.delete_collection, collection_id)
    return Response(status_code=204)


# -- items --------------------------------------------------------------------------------------
@router.post("/collections/{collection_id}/items", status_code=201, summary="Add an item or a FeatureCollection")
async def create_items(request: Request, collection_id: str) -> Response:
    node = node_of(request)
    urls = Urls.of(request, node.settings)
    doc = await _json(request)
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list):
            raise InvalidStac("a FeatureCollection needs a 'features' list")
        await run_in_threadpool(node.catalog.get_collection, collection_id)
        problems = []
        for n, feature in enumerate(features):  # check everything before writing anything
            if isinstance(feature, dict):
                feature.setdefault("collection", collection_id)
            try:
                prepare_item(feature, collection_id)
            except EonodeError as exc:
                problems.append(f"feature {n}: {exc.description}")
        if problems:
            raise InvalidStac(
                "; ".join(problems[:20]) + (f" (and {len(problems) - 20} more)" if len(problems) > 20 else "")
            )
        report = await run_in_threadpool(node.catalog.upsert_items, features)
        body = {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
        return JsonResponse(body, status_code=201)
    if isinstance(doc, dict):
        doc.setdefault("collection", collection_id)
    result = await run_in_threadpool(node.catalog.create_item, doc, collection_id)
    headers = {**_etag(result), "Location": urls.item(collection_id, result.doc["id"])}
    return GeoJsonResponse(decorate_item(result.doc, urls), status_code=201, headers=headers)


@router.put("/collections/{collection_id}/items/{item_id}", summary="Replace an item")
async def put_item(request: Request, collection_id: str, item_id: str) -> Response:
    node = node_of(request)
    doc = await _json(request)
    if isinstance(doc, dict):
        if doc.get("id", item_id) != item_id:
            raise InvalidStac(f"item id {doc.get('id')!r} does not match the URL ({item_id!r})")
        doc.setdefault("id", item_id)
        doc.setdefault("collection", collection_id)
    result = await run_in_threadpool(
        lambda: node.catalog.put_item(doc, collection_id, must_exist=True, if_match=_if_match(request))
    )
    return GeoJsonResponse(decorate_item(result.doc, Urls.of(request, node.settings)), headers=_etag(result))


@router.patch("/collections/{collection_id}/items/{item_id}", summary="Change parts of an item (JSON merge patch)")
async def patch_item(request: Request, collection_id: str, item_id: str) -> Response:
    node = node_of(request)
    patch = await _json(request)
    stored = await run_in_threadpool(node.catalog.get_item, collection_id, item_id)
    merged = merge_patch(stored.doc, patch)
    merged.update(id=item_id, collection=collection_id)
    if_match = _if_match(request) or stored.etag
    result = await run_in_threadpool(
        lambda: node.catalog.put_item(merged, collection_id, must_exist=True, if_match=if_match)
    )
    return GeoJsonResponse(decorate_item(result.doc, Urls.of(request, node.settings)), headers=_etag(result))


@router.delete("/collections/{collection_id}/items/{item_id}", status_code=204, summary="Delete an item")
async def delete_item(request: Request, collection_id: str, item_id: str) -> Response:
    node = node_of(request)
    await run_in_threadpool(lambda: node.catalog.delete_item(collection_id, item_id, if_match=_if_match(request)))
    return Response(status_code=204)
