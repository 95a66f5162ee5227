"""Small helpers every route uses: the node, content negotiation, the write guard."""

from __future__ import annotations

from fastapi import Request

from eonode.node import Node


def node_of(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


def wants_html(request: Request) -> bool:
    """A browser asking for a page (HTML before JSON in its Accept header, or ``?f=html``)."""
    fmt = request.query_params.get("f")
    if fmt:
        return fmt == "html"
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "application/json" not in accept.split("text/html")[0]


def require_writer(request: Request) -> None:
    """Catalogue writes are for operators and administrators (an API key, a session, or the
    node's admin token)."""
    from eonode.accounts.permissions import Action
    from eonode.api.principal import principal_of

    node_of(request).accounts.access.require(principal_of(request), Action.WRITE_CATALOG)
