"""``create_app(node)``: the FastAPI application of one node. Nothing is built at import time."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from eonode import __version__
from eonode.api import (
    account_pages,
    admin,
    assets,
    auth,
    errors,
    federation,
    feed,
    me,
    openapi,
    search,
    stac,
    transactions,
)
from eonode.api.compression import TextGZipMiddleware
from eonode.api.limits import BodyLimit
from eonode.api.principal import AccessMiddleware
from eonode.node import Node


def tune_gc() -> None:
    """Server processes allocate many short-lived objects per search; Python's default cyclic-GC
    thresholds then run full collections over every long-lived object (modules, the app) far too
    often. Freeze what exists at start-up and collect the young generation less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def create_app(node: Node, *, close_node: bool = False) -> FastAPI:
    """Build the API over an open node; ``close_node`` closes it when the app shuts down."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        tune_gc()
        worker = None
        if node.settings.inbox_watch:
            from eonode.ingest.worker import InboxWorker

            worker = InboxWorker(node).start()
        from eonode.federation.parent_link import FollowerGuard, parent_of

        parent = parent_of(node.settings)
        guard = FollowerGuard(node, *parent).start() if parent else None
        _app.state.federation = guard  # the asset endpoint asks its follower to fetch remote data
        yield
        if guard is not None:
            guard.stop()
        if worker is not None:
            worker.stop()
        if close_node:
            node.close()

    app = FastAPI(
        title=f"{node.settings.title} — eonode STAC API",
        version=__version__,
        description=node.settings.description,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.node = node
    errors.install(app)
    openapi.install(app)
    for module in (stac, search, transactions, assets, feed, federation, auth, me, admin, account_pages):
        app.include_router(module.router)
    app.include_router(federation.admin_router)
    from eonode.portal import views

    views.install(app)
    app.add_middleware(AccessMiddleware, node=node)  # innermost: CORS and size limits apply to its refusals
    app.add_middleware(TextGZipMiddleware, minimum_size=2048)
    origins = [o.strip() for o in node.settings.cors_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match", "Range"],
            expose_headers=["ETag", "Content-Range", "Content-Length", "Accept-Ranges", "Location"],
        )
    app.add_middleware(BodyLimit, max_bytes=node.settings.max_body_bytes)
    return app
