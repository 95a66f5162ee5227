"""Asset bytes: ``GET``/``HEAD`` with Range (206), ETag = sha256, conditional requests — behind
the access decision and the quotas.

Previews (thumbnail, browse, metadata files) are part of the metadata: whoever may see the
collection may fetch them, uncounted. Data assets need the collection's data access, a free
download slot and bytes left in the day's quota; every byte sent is counted in the download
history of whoever asked (or of the signed link's owner).

A child node's own downloads (its machine account's key) are licensed by its agreement instead,
and pass the transfer slots of ``federation/upload_gate.py`` (higher agreement priority first).
On a child node, an asset still at the parent is fetched through when asked for, or — if the
node keeps metadata only — the user is redirected to the parent's URL for it.
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
from fastapi import APIRouter, Request
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from eonode.accounts.access import refuse
from eonode.accounts.model import DataAccess, Role
from eonode.accounts.permissions import Action
from eonode.accounts.quotas import HEARTBEAT_SECONDS, Quotas
from eonode.api.deps import node_of
from eonode.api.principal import principal_of
from eonode.api.ranges import parse_range
from eonode.api.scope import require_visible
from eonode.errors import AssetNotFound, BlobNotFound, Conflict, FetchingUpstream, Forbidden, TransferSlotsBusy
from eonode.federation.children import Child
from eonode.federation.upload_gate import GateBusy, Slot, UploadGate
from eonode.storage.store import blob_digest

if TYPE_CHECKING:
    from eonode.federation.follower import Follower

router = APIRouter()

PREVIEW_ROLES = frozenset({"thumbnail", "overview", "metadata", "visual"})
NO_STORE = {"Cache-Control": "no-store"}


def _filename(item_id: str, key: str, media_type: str) -> str:
    ext = mimetypes.guess_extension(media_type.split(";")[0].strip()) or ""
    if media_type.startswith("application/gzip"):
        ext = ".tar.gz"
    return f"{item_id}-{key}{ext}"


def is_preview(asset: dict[str, object]) -> bool:
    roles = asset.get("roles") or []
    return isinstance(roles, list) and bool(PREVIEW_ROLES.intersection(roles)) and "data" not in roles


ASSET_PATH = "/collections/{collection_id}/items/{item_id}/assets/{key}"


@router.get(ASSET_PATH, operation_id="get_asset", summary="Download an asset (resumable with Range)")
@router.head(ASSET_PATH, operation_id="head_asset", summary="Size and ETag of an asset")
async def get_asset(request: Request, collection_id: str, item_id: str, key: str) -> Response:
    node = node_of(request)
    await require_visible(request, collection_id)
    stored = await run_in_threadpool(node.catalog.get_item, collection_id, item_id)
    asset = stored.doc.get("assets", {}).get(key)
    if asset is None:
        raise AssetNotFound(f"item {item_id!r} has no asset {key!r}")
    counted = not is_preview(asset)
    child = await _licensed(request, collection_id, stored.doc) if counted else None
    digest = blob_digest(asset.get("href", ""))
    if digest is None:
        return await _from_parent(request, collection_id, item_id, key, asset, for_node=child is not None)
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
    if request.method == "HEAD":  # a status check: never counted
        return Response(status_code=status, headers=headers, media_type=media_type)
    if info.size == 0:
        return Response(b"", status_code=status, headers=headers, media_type=media_type)
    if not counted:
        chunks = node.blobs.read(digest, start, end)
        return StreamingResponse(chunks, status_code=status, headers=headers, media_type=media_type)
    reply = Reply(status, headers, media_type)
    return await _counted_response(request, child, (collection_id, item_id, key), digest, (start, end), reply)


@dataclass(frozen=True, slots=True)
class Reply:
    """What a download answers besides its body."""

    status: int
    headers: dict[str, str]
    media_type: str


async def _counted_response(
    request: Request,
    child: Child | None,
    asset_id: tuple[str, str, str],
    digest: str,
    span: tuple[int, int],
    reply: Reply,
) -> Response:
    """Bytes ``span`` (first, last) of a data asset, counted in the download history; a child
    node's download first waits for a transfer slot (503 with ``Retry-After`` if none comes free)."""
    node = node_of(request)
    principal = principal_of(request)
    (collection_id, item_id, key), (start, end) = asset_id, span
    slot = None
    if child is not None:
        assert child.agreement is not None
        try:
            slot = await gate_of(request).acquire(child.agreement.priority)
        except GateBusy as busy:
            raise TransferSlotsBusy(str(busy), retry_after=busy.retry_after) from None
    try:
        chunks = node.blobs.read(digest, start, end)
        quotas = node.accounts.quotas
        download_id = await run_in_threadpool(
            lambda: quotas.begin_download(
                principal, collection=collection_id, item=item_id, asset=key, start=start, end=end
            )
        )
    except BaseException:
        if slot is not None:
            slot.release()
        raise
    body = _counted(chunks, quotas, download_id, end - start + 1)
    return SlotResponse(body, slot, status_code=reply.status, headers=reply.headers, media_type=reply.media_type)


async def _licensed(request: Request, collection_id: str, doc: dict[str, Any]) -> Child | None:
    """Whether the data may go to whoever asks: a child node by its agreement (returned, for its
    priority), anyone else by the access decision (None)."""
    node = node_of(request)
    principal = principal_of(request)
    if principal.role is Role.NODE and principal.user is not None:
        # A child node's credential reaches exactly the data its agreement covers — beyond any
        # approval or purchase policy, never data that is not distributed at all.
        if node.accounts.access.policy(collection_id).data_access is DataAccess.NONE:
            raise Forbidden(f"{doc['id']} is not covered by this node's agreement")
        return await run_in_threadpool(node.children.licence, principal.user.id, doc)
    refuse(await run_in_threadpool(node.accounts.access.decide, principal, Action.DOWNLOAD, collection_id))
    return None


class SlotResponse(StreamingResponse):
    """A download that holds a transfer slot (if given) until its last byte is sent or the client leaves."""

    def __init__(
        self,
        body: AsyncIterator[bytes],
        slot: Slot | None,
        *,
        status_code: int,
        headers: dict[str, str],
        media_type: str,
    ) -> None:
        super().__init__(body, status_code=status_code, headers=headers, media_type=media_type)
        self.slot = slot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            if self.slot is not None:
                self.slot.release()


def gate_of(request: Request) -> UploadGate:
    """This server process's transfer slots for child nodes (made on first use)."""
    gate = getattr(request.app.state, "upload_gate", None)
    if not isinstance(gate, UploadGate):
        settings = node_of(request).settings
        gate = UploadGate(settings.federation_upload_slots, wait_seconds=settings.federation_upload_wait_seconds)
        request.app.state.upload_gate = gate
    return gate


def upstream_mode(request: Request) -> str | None:
    """On a child node, its agreement's mode as its follower last read it from the parent
    (``/federation/me``, at each connection); None on a main node, in a serving process that does
    not follow the parent, or before the parent first answered."""
    guard = getattr(request.app.state, "federation", None)
    follower = guard.follower if guard is not None else None
    return None if follower is None else follower.mode


async def _from_parent(
    request: Request, collection_id: str, item_id: str, key: str, asset: dict[str, Any], *, for_node: bool
) -> Response:
    """The bytes of an asset still at the parent: a node that keeps metadata only sends its users
    there (the parent's access policy applies); others fetch it (:func:`_fetch_through`)."""
    href = str(asset.get("href", ""))
    guard = getattr(request.app.state, "federation", None)
    follower = guard.follower if guard is not None else None
    if follower is not None and href.startswith(follower.parent + "/"):
        if upstream_mode(request) == "metadata":
            if for_node:
                raise Conflict(
                    f"this node keeps metadata only (its agreement with its parent): it cannot deliver {item_id}; "
                    f"the data is at {href}"
                )
            return RedirectResponse(href, status_code=307, headers=NO_STORE)
        await _fetch_through(follower, collection_id, item_id, key, asset)
    raise BlobNotFound(f"the bytes of asset {key!r} are not held by this node; they are at {href}")


async def _fetch_through(follower: Follower, collection_id: str, item_id: str, key: str, asset: dict[str, Any]) -> None:
    """On a child node, an asset still at the parent is fetched when asked for: 503 with
    ``Retry-After`` and the progress until its bytes are here and verified (the parent may in
    turn be fetching it from its own parent)."""
    href = str(asset.get("href", ""))
    size = int(asset.get("file:size") or 0)
    state = await run_in_threadpool(follower.copier.demand, collection_id, item_id, href, size)
    done, total = int(state.get("done") or 0), int(state.get("total") or size)
    percent = f"{100 * done // total} %" if total else "starting"
    failed = f"; the last attempt failed ({state['reason']}), trying again" if state.get("state") == "failed" else ""
    raise FetchingUpstream(
        f"asset {key!r} of {item_id} is being fetched from the parent node ({percent}){failed}",
        done=done,
        total=total,
    )


async def _counted(chunks: Iterator[bytes], quotas: Quotas, download_id: int, length: int) -> AsyncIterator[bytes]:
    """Stream ``chunks``, recording the bytes sent (every few seconds, and at the end however it ends)."""
    sent = 0
    last = time.monotonic()
    try:
        async for chunk in iterate_in_threadpool(chunks):
            yield chunk
            sent += len(chunk)
            if time.monotonic() - last >= HEARTBEAT_SECONDS:
                last = time.monotonic()
                await run_in_threadpool(quotas.progress, download_id, sent)
    finally:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(lambda: quotas.finish(download_id, sent, complete=sent >= length))
