"""Applying a principal's scope to catalogue reads: hidden collections do not exist for them —
not in lists, searches, counts, pages, queryables, items, assets or the change feed."""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from eonode.accounts.access import Scope
from eonode.api.deps import node_of
from eonode.api.principal import principal_of
from eonode.catalog.store import SearchPage
from eonode.errors import CollectionNotFound
from eonode.models.search import SearchQuery

EMPTY = SearchPage(items=[], number_matched=0, next_token=None, prev_token=None)


async def scope_of(request: Request) -> Scope:
    cached: Scope | None = getattr(request.state, "scope", None)
    if cached is None:
        node = node_of(request)
        cached = await run_in_threadpool(node.accounts.access.scope, principal_of(request))
        request.state.scope = cached
    return cached


async def require_visible(request: Request, collection_id: str) -> None:
    """404, exactly as for an unknown collection, when the principal may not see it."""
    if not (await scope_of(request)).sees(collection_id):
        raise CollectionNotFound(f"collection {collection_id!r} not found")


async def visible_ids(request: Request) -> list[str] | None:
    """The collections the principal sees; None when that is all of them."""
    scope = await scope_of(request)
    if scope.everything:
        return None
    ids = await run_in_threadpool(node_of(request).catalog.collection_ids)
    return scope.within(ids)


async def restrict(request: Request, query: SearchQuery) -> SearchQuery | None:
    """The query limited to visible collections; None when it can match nothing visible."""
    scope = await scope_of(request)
    if scope.everything:
        return query
    if query.collections is not None:
        wanted = tuple(scope.within(query.collections))
    else:
        wanted = tuple(await visible_ids(request) or ())
    if not wanted:
        return None
    from dataclasses import replace

    return replace(query, collections=wanted)
