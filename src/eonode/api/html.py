"""A plain HTML front page for people who open a node in a browser (the full portal comes later).

No scripts and no external resources: it works on a node without internet.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse

from eonode.api.deps import node_of
from eonode.api.links import Urls
from eonode.api.principal import principal_of
from eonode.api.scope import EMPTY, restrict
from eonode.models.search import SearchQuery

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#1b2733}
h1{margin-bottom:.2rem} p.lead{color:#4a5a6a;margin-top:0}
table{border-collapse:collapse;width:100%;margin:1rem 0 2rem} th,td{text-align:left;padding:.35rem .6rem;
border-bottom:1px solid #dde3ea} th{background:#f2f5f8} td.num{text-align:right;font-variant-numeric:tabular-nums}
a{color:#0b5cad} nav a{margin-right:1rem}
"""


def _row(cells: list[str], num: set[int] | None = None) -> str:
    num = num or set()
    return "<tr>" + "".join(f"<td{' class=num' if i in num else ''}>{c}</td>" for i, c in enumerate(cells)) + "</tr>"


async def landing_page(request: Request, collections: list[dict[str, Any]]) -> HTMLResponse:
    node = node_of(request)
    urls = Urls.of(request, node.settings)
    counts = {c["id"]: await run_in_threadpool(node.catalog.item_count, c["id"]) for c in collections}
    query = await restrict(request, SearchQuery(limit=20))
    latest = EMPTY if query is None else await run_in_threadpool(node.catalog.search, query)
    coll_rows = []
    for c in collections:
        interval = (c.get("extent", {}).get("temporal", {}).get("interval") or [[None, None]])[0]
        span = " – ".join((v or "…")[:10] for v in interval)
        coll_rows.append(
            _row(
                [
                    f'<a href="{escape(urls.collection(c["id"]))}">{escape(c["id"])}</a>',
                    escape(c.get("title", "")),
                    f"{counts[c['id']]:,}",
                    escape(span),
                ],
                {2},
            )
        )
    item_rows = []
    for it in latest.items:
        props = it.get("properties", {})
        cloud = props.get("eo:cloud_cover")
        item_rows.append(
            _row(
                [
                    f'<a href="{escape(urls.item(it["collection"], it["id"]))}">{escape(it["id"])}</a>',
                    escape(it["collection"]),
                    escape(str(props.get("datetime") or props.get("start_datetime", ""))),
                    "unknown" if cloud is None else f"{cloud:g} %",
                ],
                {3},
            )
        )
    principal = principal_of(request)
    if principal.user is not None and principal.via == "session":
        account = f'<a href="{escape(urls.path("account"))}">My account ({escape(principal.user.username)})</a>'
    else:
        account = (
            f'<a href="{escape(urls.path("account", "login"))}">Log in</a>'
            f'<a href="{escape(urls.path("account", "register"))}">Register</a>'
        )
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{escape(node.settings.title)}</title>
<style>{_STYLE}</style></head><body>
<h1>{escape(node.settings.title)}</h1><p class="lead">{escape(node.settings.description)}</p>
<nav><a href="{escape(urls.path("api.html"))}">API documentation</a>
<a href="{escape(urls.root)}?f=json">STAC landing page</a>
<a href="{escape(urls.path("search"))}">Search (JSON)</a>
<a href="{escape(urls.path("queryables"))}">Queryables</a>
{account}</nav>
<h2>Collections</h2><table><thead><tr><th>ID</th><th>Title</th><th>Items</th><th>Time span</th></tr></thead>
<tbody>{"".join(coll_rows) or "<tr><td colspan=4>No collections yet.</td></tr>"}</tbody></table>
<h2>Latest acquisitions <small>({latest.number_matched:,} items in total)</small></h2>
<table><thead><tr><th>Product</th><th>Collection</th><th>Acquired (UTC)</th><th>Cloud</th></tr></thead>
<tbody>{"".join(item_rows) or "<tr><td colspan=4>No items yet.</td></tr>"}</tbody></table>
</body></html>"""
    return HTMLResponse(page)
