"""URLs and links: STAC documents are stored without links; they are added per request, with the
base URL the client used (or ``public_url``), so a node answers correctly behind any proxy."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request

from eonode.settings import Settings
from eonode.storage.store import blob_digest


class Urls:
    def __init__(self, base: str, upstream: str | None = None) -> None:
        self.base = base.rstrip("/")
        self.upstream = upstream  # the parent node's URL: its asset links are served through this node

    @classmethod
    def of(cls, request: Request, settings: Settings) -> Urls:
        node = getattr(request.app.state, "node", None)
        return cls(settings.public_url or str(request.base_url), node.upstream if node is not None else None)

    def served_here(self, href: str) -> bool:
        """Whether this node serves the bytes behind ``href``: its own blob, or — on a child node —
        the parent's asset, which it fetches when asked (so its users always download from it)."""
        return blob_digest(href) is not None or (self.upstream is not None and href.startswith(self.upstream + "/"))

    @property
    def root(self) -> str:
        return f"{self.base}/"

    def path(self, *parts: str) -> str:
        return self.base + "".join("/" + quote(p, safe="") for p in parts)

    def collection(self, cid: str) -> str:
        return self.path("collections", cid)

    def items(self, cid: str) -> str:
        return self.path("collections", cid, "items")

    def item(self, cid: str, iid: str) -> str:
        return self.path("collections", cid, "items", iid)

    def asset(self, cid: str, iid: str, key: str) -> str:
        return self.path("collections", cid, "items", iid, "assets", key)


def link(rel: str, href: str, media_type: str | None = None, title: str | None = None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"rel": rel, "href": href}
    if media_type:
        out["type"] = media_type
    if title:
        out["title"] = title
    out.update(extra)
    return out


def decorate_item(doc: dict[str, Any], urls: Urls) -> dict[str, Any]:
    """Add links; turn stored blob references into this node's asset URLs."""
    cid, iid = doc["collection"], doc["id"]
    doc["links"] = [
        link("self", urls.item(cid, iid), "application/geo+json"),
        link("parent", urls.collection(cid), "application/json"),
        link("collection", urls.collection(cid), "application/json"),
        link("root", urls.root, "application/json"),
    ]
    for key, asset in doc.get("assets", {}).items():
        if urls.served_here(str(asset.get("href", ""))):
            asset["href"] = urls.asset(cid, iid, key)
    return doc


def decorate_collection(doc: dict[str, Any], urls: Urls) -> dict[str, Any]:
    cid = doc["id"]
    doc["links"] = [
        link("self", urls.collection(cid), "application/json"),
        link("parent", urls.root, "application/json"),
        link("root", urls.root, "application/json"),
        link("items", urls.items(cid), "application/geo+json"),
        link(
            "http://www.opengis.net/def/rel/ogc/1.0/queryables",
            urls.path("collections", cid, "queryables"),
            "application/schema+json",
            "Queryables",
        ),
    ]
    return doc
