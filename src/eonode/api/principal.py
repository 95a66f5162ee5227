"""Who is asking: resolved once per request, before any route runs.

Credentials, in order: ``Authorization: Bearer`` (an API key, or the node's admin token), a
signed download link (``?u=&exp=&sig=`` on an asset URL), the portal's session cookie. A request
with none is anonymous. The same middleware counts the request against the per-minute quota
(status checks excepted) and refuses cookie-authenticated writes without a CSRF token.
"""

from __future__ import annotations

import hmac
import re
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, unquote

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from eonode.accounts import tokens
from eonode.accounts.model import Principal, Role
from eonode.api.errors import error_response
from eonode.errors import CsrfFailed, EonodeError, Unauthorized
from eonode.node import Node

SESSION_COOKIE = "eonode_session"
CSRF_COOKIE = "eonode_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UNCOUNTED = ("/me/quota", "/healthz", "/static/")  # status checks never consume quota
UNCOUNTED_METHODS = frozenset({"OPTIONS", "HEAD"})  # preflights, and HEAD: a status check
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
FORM_PATHS = ("/account", "/console")  # portal forms: their routes check the token field
_ASSET = re.compile(r"^/collections/([^/]+)/items/([^/]+)/assets/([^/]+)$")


def principal_of(request: Request) -> Principal:
    principal: Principal = request.state.principal
    return principal


def cookies_of(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header is no credential
                continue
    return {k: m.value for k, m in jar.items()}


def _has_credentials(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"authorization" or (name == b"cookie" and SESSION_COOKIE.encode() in value):
            return True
    return b"sig=" in scope.get("query_string", b"")


class AccessMiddleware:
    def __init__(self, app: ASGIApp, node: Node) -> None:
        self.app, self.node = app, node

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            if _has_credentials(scope):
                principal = await run_in_threadpool(self._resolve, scope)
            else:  # nothing to look up: no thread hop
                client = scope.get("client")
                principal = Principal(Role.ANONYMOUS, client[0] if client else "")
            scope.setdefault("state", {})["principal"] = principal
            self._check_csrf(scope, principal)
            path = scope.get("path", "")
            if scope["method"] not in UNCOUNTED_METHODS and not path.startswith(UNCOUNTED):
                await run_in_threadpool(self.node.accounts.quotas.count_request, principal)
        except EonodeError as exc:
            response = error_response(exc.status, exc.code, exc.description, exc.headers() or None)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    # -- resolution --------------------------------------------------------------------------------------
    def _resolve(self, scope: Scope) -> Principal:
        client = scope.get("client")
        ip = client[0] if client else ""
        headers = dict(scope.get("headers", []))
        auth = headers.get(b"authorization", b"").decode("latin-1").strip()
        if auth:
            return self._bearer(auth, ip)
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if "sig" in query and _ASSET.match(scope.get("path", "")):
            return self._link(scope, query, ip)
        session = cookies_of(scope).get(SESSION_COOKIE)
        if session:
            found = self.node.accounts.users.session_principal(session, ip)
            if found is not None:
                return found
        return Principal(Role.ANONYMOUS, ip)

    def _bearer(self, header: str, ip: str) -> Principal:
        scheme, _, credential = header.partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise Unauthorized("use 'Authorization: Bearer <API key>'")
        token = self.node.settings.admin_token
        if token is not None and hmac.compare_digest(credential.encode(), token.get_secret_value().encode()):
            return Principal(Role.ADMIN, ip, via="token")
        if not credential.startswith(tokens.KEY_PREFIX):
            raise Unauthorized("the bearer token is not an API key of this node")
        return self.node.accounts.users.key_principal(credential, ip)

    def _link(self, scope: Scope, query: dict[str, str], ip: str) -> Principal:
        from eonode.accounts.model import UserStatus
        from eonode.errors import InvalidSignedLink

        match = _ASSET.match(scope.get("path", ""))
        assert match is not None
        collection, item, asset = (unquote(p) for p in match.groups())
        accounts = self.node.accounts
        user_id = accounts.links.check(query, collection, item, asset)
        try:
            user = accounts.store.get_user(user_id)
        except EonodeError:
            raise InvalidSignedLink("the signed link's account no longer exists") from None
        if user.status is not UserStatus.ACTIVE:
            raise InvalidSignedLink("the signed link's account is disabled")
        return Principal(user.role, ip, user, "link")

    # -- CSRF -------------------------------------------------------------------------------------------
    def _check_csrf(self, scope: Scope, principal: Principal) -> None:
        """A browser sends the session cookie on any cross-site request; writes made with it
        must prove they come from our own pages. Form posts are checked by their route (the
        token is a form field); every other write needs the ``X-CSRF-Token`` header."""
        if principal.via != "session" or scope["method"] in SAFE_METHODS:
            return
        headers = dict(scope.get("headers", []))
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if content_type.startswith(FORM_TYPES) and scope.get("path", "").startswith(FORM_PATHS):
            return  # a portal form: its route checks the token field
        given = headers.get(CSRF_HEADER.encode(), b"").decode("latin-1")
        if not tokens.csrf_ok(self.node.accounts.users.secret, cookies_of(scope).get(CSRF_COOKIE), given):
            raise CsrfFailed()
