"""Small helpers every route uses: the node, content negotiation, the write guard."""

from __future__ import annotations

import hmac

from fastapi import Request

from eonode.errors import Forbidden, Unauthorized
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
    """Catalogue writes need the admin token until accounts and roles exist."""
    token = node_of(request).settings.admin_token
    if token is None:
        raise Forbidden("catalogue writes over HTTP are disabled on this node (no admin token is configured)")
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise Unauthorized("catalogue writes need 'Authorization: Bearer <admin token>'")
    if not hmac.compare_digest(given.strip().encode(), token.get_secret_value().encode()):
        raise Unauthorized("the admin token is not valid")
