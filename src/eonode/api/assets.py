"""Asset bytes: ``GET``/``HEAD`` with Range (206), ETag = sha256, conditional requests."""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse

from eonode.api.deps import node_of
from eonode.api.ranges import parse_range
from eonode.errors import AssetNotFound, BlobNotFound
from eonode.storage.store import blob_digest

router = APIRouter()


def _filename(item_id: str, key: str, media_type: str) -> str:
    ext = mimetypes.guess_extension(media_type.split(";")[0].strip()) or ""
    if media_type.startswith("application/gzip"):
        ext = ".tar.gz"
    return f"{item_id}-{key}{ext}"


ASSET_PATH = "/collections/{collection_id}/items/{item_id}/assets/{key}"


@router.get(ASSET_PATH, operation_id="get_asset", summary="Download an asset (resumable with Range)")
@router.head(ASSET_PATH, operation_id="head_asset", summary="Size and ETag of an asset")
async def get_asset(request: Request, collection_id: str, item_id: str, key: str) -> Response:
    node = node_of(request)
    stored = await run_in_threadpool(node.catalog.get_item, collection_id, item_id)
    asset = stored.doc.get("assets", {}).get(key)
    if asset is None:
        raise AssetNotFound(f"item {item_id!r} has no asset {key!r}")
    digest = blob_digest(asset.get("href", ""))
    if digest is None:
        raise BlobNotFound(f"the bytes of asset {key!r} are not held by this node; they are at {asset['href']}")
    info = await run_in_threadpool(node.blobs.stat, digest)
    media_type = asset.get("type") or "application/octet-stream"
    etag = f'"{info.sha256}"'
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": f'attachment; filename="{_filename(item_id, key, media_type)}"',
        "Cache-Control": "private, max-age=3600",
    }
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and etag in [v.strip() for v in if_none_match.split(",")]:
        return Response(status_code=304, headers=headers)
    byte_range = parse_range(request.headers.get("range"), info.size)
    if_range = request.headers.get("if-range")
    if byte_range is not None and if_range is not None and if_range.strip() != etag:
        byte_range = None  # the client's partial copy is of another version: send it all
    status = 200
    start, end = 0, info.size - 1
    if byte_range is not None:
        start, end = byte_range
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{info.size}"
    headers["Content-Length"] = str(max(0, end - start + 1))
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers, media_type=media_type)
    if info.size == 0:
        return Response(b"", status_code=status, headers=headers, media_type=media_type)
    chunks = node.blobs.read(digest, start, end)
    return StreamingResponse(chunks, status_code=status, headers=headers, media_type=media_type)
