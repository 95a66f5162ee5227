"""Compression of responses: text is gzipped for clients that accept it; asset bytes never are.

Asset bytes are served exactly as stored: ``Content-Length`` and ``ETag`` describe them, and
``Range`` requests (resumed downloads, a child node's parallel ranges) address their offsets.
Compressing such a body on the fly would change all three — a ranged answer would carry a
``Content-Range`` of the stored file over a compressed body — and costs a core per ~35 MB/s of
download. Data products are compressed already where it helps (tar.gz, COG with DEFLATE).
"""

from __future__ import annotations

import re

from fastapi.middleware.gzip import GZipMiddleware
from starlette.types import Receive, Scope, Send

ASSET_PATH = re.compile(r"/collections/[^/]+/items/[^/]+/assets/[^/]+$")


class TextGZipMiddleware(GZipMiddleware):
    """Starlette's gzip middleware, bypassed for the asset route."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ASSET_PATH.search(scope["path"]):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
