"""Theme portals: named views of the image data hub published from configuration — e.g.
``/p/brics`` showing only GF-6, ZY-3 02 and CBERS-04 with its own title, logo and theme tiles
that open curated searches.

The configuration is a JSON file (setting ``portals_file``)::

    {"brics": {"title": "BRICS satellite constellation", "title_zh": "金砖国家卫星星座",
               "collections": ["gf6-*", "zy302-*", "cbers4-*"], "logo": "brics.png",
               "tiles": [{"title": "Burned area", "title_zh": "火烧迹地",
                          "search": "collections=gf6-wfv-l1a&cloud_max=30"}]}}

``collections`` are patterns over collection ids; ``logo`` is an image file beside the JSON
file; each tile's ``search`` is a query string of the hub.
"""

from __future__ import annotations

import fnmatch
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from starlette.responses import FileResponse, Response

from eonode.api.deps import node_of
from eonode.errors import ConfigError, NotFound

router = APIRouter(prefix="/p", include_in_schema=False)
NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")


@dataclass(frozen=True, slots=True)
class Tile:
    title: str
    title_zh: str
    search: str  # the hub's query string


@dataclass(frozen=True, slots=True)
class ThemePortal:
    name: str
    title: str
    title_zh: str
    patterns: tuple[str, ...]
    logo: Path | None
    tiles: tuple[Tile, ...]

    def matches(self, collection_id: str) -> bool:
        return any(fnmatch.fnmatchcase(collection_id, p) for p in self.patterns)


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"portals file: {where} must be a string")
    return value


@lru_cache(maxsize=4)
def _load(path: Path, mtime_ns: int) -> dict[str, ThemePortal]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"portals file {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"portals file {path}: the top level must be an object of portals by name")
    out = {}
    for name, spec in raw.items():
        if not NAME.match(name) or not isinstance(spec, dict):
            raise ConfigError(f"portals file: {name!r} needs a lower-case name and an object")
        patterns = spec.get("collections")
        if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) for p in patterns):
            raise ConfigError(f"portals file: {name}.collections must be a non-empty list of patterns")
        logo = None
        if spec.get("logo"):
            logo = (path.parent / _text(spec["logo"], f"{name}.logo")).resolve()
            if not logo.is_file() or path.parent.resolve() not in logo.parents:
                raise ConfigError(f"portals file: {name}.logo must be an image file beside the portals file")
        tiles = tuple(
            Tile(
                _text(t.get("title"), f"{name}.tiles.title"),
                str(t.get("title_zh") or t.get("title")),
                _text(t.get("search", ""), f"{name}.tiles.search").lstrip("?"),
            )
            for t in spec.get("tiles", [])
            if isinstance(t, dict)
        )
        title = _text(spec.get("title", name), f"{name}.title")
        out[name] = ThemePortal(name, title, str(spec.get("title_zh") or title), tuple(patterns), logo, tiles)
    return out


def portals(path: Path | None) -> dict[str, ThemePortal]:
    """The configured portals (re-read when the file changes)."""
    if path is None:
        return {}
    try:
        stat = path.stat()
    except OSError as exc:
        raise ConfigError(f"portals file {path}: {exc}") from None
    return _load(path.resolve(), stat.st_mtime_ns)


def portal(request: Request, name: str) -> ThemePortal:
    found = portals(node_of(request).settings.portals_file).get(name)
    if found is None:
        raise NotFound(f"no portal named {name!r}")
    return found


@router.get("/{name}")
async def portal_page(request: Request, name: str) -> Response:
    from eonode.portal.views import hub_page

    return await hub_page(request, portal(request, name))


@router.get("/{name}/logo")
async def portal_logo(request: Request, name: str) -> Response:
    logo = portal(request, name).logo
    if logo is None:
        raise NotFound(f"portal {name!r} has no logo")
    return FileResponse(logo, headers={"Cache-Control": "public, max-age=3600"})
