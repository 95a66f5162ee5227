"""The Fields extension: choose which parts of each item a search returns."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eonode.models.search import Fields

_MINIMAL = ("type", "stac_version", "id", "collection")
_DEFAULT = (*_MINIMAL, "geometry", "bbox", "links", "assets", "properties.datetime")


def _get(doc: dict[str, Any], path: list[str]) -> tuple[bool, Any]:
    node: Any = doc
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return False, None
        node = node[key]
    return True, node


def _put(doc: dict[str, Any], path: list[str], value: Any) -> None:
    node = doc
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def _drop(doc: dict[str, Any], path: list[str]) -> None:
    node: Any = doc
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            return
    if isinstance(node, dict):
        node.pop(path[-1], None)


def _pick(doc: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in paths:
        found, value = _get(doc, path.split("."))
        if found:
            _put(out, path.split("."), value)
    return out


def apply_fields(doc: dict[str, Any], fields: Fields | None) -> dict[str, Any]:
    """The Fields extension.

    * no ``fields`` at all: the whole item;
    * ``include`` paths: the minimal fields (type, stac_version, id, collection) plus those;
    * only ``exclude`` paths: the whole item without them;
    * an empty or null ``include`` (or empty fields): the default set (minimal, geometry, bbox,
      links, assets, properties.datetime) without the excluded paths.

    A path both included and excluded is included.
    """
    if fields is None:
        return doc
    if fields.include:
        out = _pick(doc, [*_MINIMAL, *sorted(fields.include)])
    elif fields.exclude and not fields.include_given:
        out = doc
    else:
        out = _pick(doc, _DEFAULT)
    for path in fields.exclude - fields.include:
        if not any(inc == path or inc.startswith(path + ".") for inc in fields.include):
            _drop(out, path.split("."))
    return out
