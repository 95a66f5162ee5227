"""The change feed as the principal may see it: ``GET /changes?since=SEQ&limit=N``.

Events of hidden collections are left out (their numbers are skipped, so ``next`` moves past
them). Federation (child nodes) reads its own filtered feed; this one is for users and tools.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from eonode.accounts.model import Role
from eonode.api.deps import node_of
from eonode.api.links import Urls
from eonode.api.principal import principal_of
from eonode.api.responses import JsonResponse
from eonode.api.scope import scope_of
from eonode.errors import Forbidden

router = APIRouter(tags=["change feed"])


@router.get("/changes", summary="Catalogue changes after a sequence number (creations, updates, deletions)")
async def changes(request: Request, since: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=1000)) -> Response:
    node = node_of(request)
    if principal_of(request).role is Role.NODE:
        raise Forbidden("a child node reads its own feed at /federation/feed")
    scope = await scope_of(request)
    events = await run_in_threadpool(node.catalog.changes_since, since, limit)
    urls = Urls.of(request, node.settings)
    out = []
    for e in events:
        if not scope.sees(e.collection):
            continue
        entry: dict[str, object] = {
            "seq": e.seq,
            "at": e.at.isoformat(),
            "kind": e.kind,
            "op": e.op,
            "collection": e.collection,
        }
        if e.item_id is not None:
            entry["item"] = e.item_id
            if e.op != "delete":
                entry["href"] = urls.item(e.collection, e.item_id)
        out.append(entry)
    cursor = events[-1].seq if events else since
    more = len(events) == limit
    return JsonResponse(
        {
            "events": out,
            "next": cursor,
            "more": more,
            "links": [{"rel": "next", "href": f"{urls.path('changes')}?since={cursor}&limit={limit}"}],
        }
    )
