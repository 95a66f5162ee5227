"""The OpenAPI document (``/api``) and a plain, offline HTML rendering of it (``/api.html``).

FastAPI's bundled Swagger UI loads its scripts from a CDN; nodes may have no internet, so the
human-readable page is rendered here from the same document.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import FastAPI
from starlette.responses import HTMLResponse, Response

from eonode.api.responses import JsonResponse

OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"


def install(app: FastAPI) -> None:
    @app.get("/api", include_in_schema=False)
    async def openapi_document() -> Response:
        return JsonResponse(app.openapi(), media_type=OPENAPI_MEDIA_TYPE)

    @app.get("/api.html", include_in_schema=False)
    async def openapi_page() -> HTMLResponse:
        return HTMLResponse(render(app.openapi()))


def render(spec: dict[str, Any]) -> str:
    rows = []
    for path, methods in sorted(spec.get("paths", {}).items()):
        for method, op in methods.items():
            params = ", ".join(p["name"] for p in op.get("parameters", []))
            rows.append(
                f"<tr><td><code>{escape(method.upper())}</code></td><td><code>{escape(path)}</code></td>"
                f"<td>{escape(op.get('summary', ''))}</td><td>{escape(params)}</td></tr>"
            )
    info = spec.get("info", {})
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>API — '
        f"{escape(info.get('title', ''))}</title><style>body{{font-family:system-ui,sans-serif;margin:2rem auto;"
        "max-width:70rem;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{text-align:left;"
        "padding:.3rem .5rem;border-bottom:1px solid #dde3ea}</style></head><body>"
        f"<h1>{escape(info.get('title', ''))}</h1><p>{escape(info.get('description', ''))}</p>"
        '<p>Machine-readable OpenAPI 3 document: <a href="api">api</a>. Errors are JSON objects '
        '<code>{"code": …, "description": …}</code>.</p>'
        "<table><thead><tr><th>Method</th><th>Path</th><th>What it does</th><th>Parameters</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></body></html>"
    )
