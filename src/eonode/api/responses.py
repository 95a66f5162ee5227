"""JSON responses encoded with orjson, with the media types STAC clients expect."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

GEOJSON = "application/geo+json"
JSON = "application/json"
SCHEMA_JSON = "application/schema+json"


class JsonResponse(Response):
    media_type = JSON

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class GeoJsonResponse(JsonResponse):
    media_type = GEOJSON


class SchemaJsonResponse(JsonResponse):
    media_type = SCHEMA_JSON
