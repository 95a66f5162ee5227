"""Rendering a portal page: language, the signed-in user, the CSRF token, language links."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from starlette.responses import HTMLResponse

from eonode.api.auth import csrf_token_for, set_csrf_cookie
from eonode.api.deps import node_of
from eonode.api.principal import cookies_of, principal_of
from eonode.portal import i18n
from eonode.portal.rendering import render


def language_of(request: Request) -> str:
    chosen = request.query_params.get("lang")
    remembered = cookies_of(request.scope).get(i18n.COOKIE)
    return i18n.negotiate(chosen, remembered, request.headers.get("accept-language"))


def render_page(request: Request, template: str, title: str, status: int = 200, **context: Any) -> HTMLResponse:
    """``template`` rendered in the request's language; remembers a language chosen with ``?lang=``."""
    csrf = csrf_token_for(request)
    principal = principal_of(request)
    lang = language_of(request)
    links = []
    for code, label in i18n.LANGUAGES.items():
        query = dict(request.query_params) | {"lang": code}
        links.append((code, label, f"{request.url.path}?{urlencode(query)}"))
    node = node_of(request)
    html = render(
        template,
        lang=lang,
        html_lang=i18n.HTML_LANG[lang],
        lang_links=links,
        title=title,
        node_title=node.settings.title,
        user=principal.user if principal.via == "session" else None,
        staff=principal.is_staff,
        csrf_token=csrf,
        form=context.pop("form", {}),
        **context,
    )
    response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store", "Content-Language": lang})
    set_csrf_cookie(request, response, csrf)
    if (chosen := i18n.supported(request.query_params.get("lang"))) is not None:
        secure = node.settings.secure_cookies
        response.set_cookie(i18n.COOKIE, chosen, max_age=365 * 86400, samesite="lax", secure=secure, path="/")
    return response
