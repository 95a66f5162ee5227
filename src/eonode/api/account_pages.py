"""The portal's account pages: register (with "send code"), verify, log in, log out, reset the
password, and My account (profile, password, API keys, quota, downloads).

Every form carries a CSRF token (double-submit: the signed ``eonode_csrf`` cookie and the same
value in the form); a post without it is refused before anything happens.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from eonode.accounts import tokens
from eonode.accounts.model import User
from eonode.accounts.permissions import Action
from eonode.accounts.quotas import human_bytes
from eonode.api.auth import clear_login_cookies, client_ip, csrf_token_for, set_login_cookies
from eonode.api.deps import node_of
from eonode.api.principal import CSRF_COOKIE, SESSION_COOKIE, cookies_of, principal_of
from eonode.errors import CsrfFailed, EonodeError
from eonode.portal import i18n
from eonode.portal.pages import language_of, render_page

router = APIRouter(prefix="/account", include_in_schema=False)

TITLES = {
    "login": "Log in",
    "register": "Register",
    "verify": "Verify your e-mail",
    "reset": "Reset your password",
    "center": "My account",
}


Message = str | tuple[str, dict[str, object]] | EonodeError


def localized(lang: str, message: Message | None) -> str | None:
    """A notice or error in the page's language. Errors say what their kind means in that
    language, then the node's own (English) detail when it adds something."""
    if message is None or message == "":
        return None
    if isinstance(message, EonodeError):
        if lang == i18n.DEFAULT:
            return message.description
        general = i18n.gettext(lang, type(message).message)
        return general if message.description == type(message).message else f"{general}（{message.description}）"
    if isinstance(message, tuple):
        return i18n.gettext(lang, message[0], **message[1])
    return i18n.gettext(lang, message)


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    context["error"] = localized(language_of(request), context.get("error"))
    context["notice"] = localized(language_of(request), context.get("notice"))
    return render_page(request, f"account/{name}.html", TITLES[name], status, **context)


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token matches the cookie."""
    form = await request.form()
    given = form.get("csrf_token")
    cookie = cookies_of(request.scope).get(CSRF_COOKIE)
    if not tokens.csrf_ok(node_of(request).accounts.users.secret, cookie, given if isinstance(given, str) else None):
        raise CsrfFailed()
    return form


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/account"


# -- log in / out -------------------------------------------------------------------------------------------
@router.get("/login")
async def login_page(request: Request, next: str = "") -> Response:
    return page(request, "login", next=next)


@router.post("/login")
async def login_post(request: Request) -> Response:
    form = await checked_form(request)
    users = node_of(request).accounts.users
    try:
        done = await run_in_threadpool(
            lambda: users.login(
                field(form, "username"),
                field(form, "password"),
                ip=client_ip(request),
                user_agent=request.headers.get("user-agent", ""),
            )
        )
    except EonodeError as exc:
        return page(request, "login", exc.status, error=exc, form={"username": field(form, "username")})
    target = "/account" if done.user.must_change_password else _safe_next(field(form, "next"))
    response = RedirectResponse(target, status_code=303)
    set_login_cookies(request, response, done, csrf_token_for(request, fresh=True))
    return response


@router.post("/logout")
async def logout_post(request: Request) -> Response:
    await checked_form(request)
    session = cookies_of(request.scope).get(SESSION_COOKIE)
    if session:
        await run_in_threadpool(node_of(request).accounts.users.logout, session, ip=client_ip(request))
    response = RedirectResponse("/", status_code=303)
    clear_login_cookies(response)
    return response


# -- register / verify / reset ----------------------------------------------------------------------------------
@router.get("/register")
async def register_page(request: Request) -> Response:
    return page(request, "register")


@router.post("/register")
async def register_post(request: Request) -> Response:
    form = await checked_form(request)
    users = node_of(request).accounts.users
    kept = {k: field(form, k) for k in ("username", "email", "code", "organisation", "country")}
    try:
        if field(form, "action") == "send_code":
            sent = await run_in_threadpool(users.send_code, kept["email"], "register", ip=client_ip(request))
            minutes = sent.expires_in // 60
            return page(
                request,
                "register",
                form=kept,
                notice=(
                    "A code was sent to %(email)s; it is valid for %(minutes)s minutes.",
                    {"email": sent.email, "minutes": minutes},
                ),
            )
        user = await run_in_threadpool(
            lambda: users.register(
                username=kept["username"],
                email=kept["email"],
                password=field(form, "password"),
                password2=field(form, "password2"),
                code=kept["code"] or None,
                organisation=kept["organisation"],
                country=kept["country"],
                ip=client_ip(request),
            )
        )
    except EonodeError as exc:
        return page(request, "register", exc.status, error=exc, form=kept)
    if user.status.value == "pending":
        return page(
            request,
            "verify",
            form={"email": user.email},
            notice=("A code was sent to %(email)s; enter it to activate the account.", {"email": user.email}),
        )
    return page(request, "login", 201, form={"username": user.username}, notice="Your account is ready: log in.")


@router.get("/verify")
async def verify_page(request: Request, email: str = "") -> Response:
    return page(request, "verify", form={"email": email})


@router.post("/verify")
async def verify_post(request: Request) -> Response:
    form = await checked_form(request)
    users = node_of(request).accounts.users
    email = field(form, "email")
    try:
        if field(form, "action") == "send_code":
            await run_in_threadpool(users.send_code, email, "register", ip=client_ip(request))
            return page(
                request, "verify", form={"email": email}, notice=("A new code was sent to %(email)s.", {"email": email})
            )
        user = await run_in_threadpool(users.verify, email, field(form, "code"), ip=client_ip(request))
    except EonodeError as exc:
        return page(request, "verify", exc.status, error=exc, form={"email": email})
    return page(request, "login", form={"username": user.username}, notice="Your e-mail is verified: log in.")


@router.get("/reset")
async def reset_page(request: Request) -> Response:
    return page(request, "reset")


@router.post("/reset")
async def reset_post(request: Request) -> Response:
    form = await checked_form(request)
    users = node_of(request).accounts.users
    email = field(form, "email")
    try:
        if field(form, "action") == "send_code":
            await run_in_threadpool(users.send_code, email, "reset", ip=client_ip(request))
            return page(
                request,
                "reset",
                form={"email": email},
                notice=("If %(email)s belongs to an account, a code was sent to it.", {"email": email}),
            )
        user = await run_in_threadpool(
            lambda: users.reset_password(
                email, field(form, "code"), field(form, "password"), field(form, "password2"), ip=client_ip(request)
            )
        )
    except EonodeError as exc:
        return page(request, "reset", exc.status, error=exc, form={"email": email})
    return page(request, "login", form={"username": user.username}, notice="Your password is changed: log in.")


# -- My account -------------------------------------------------------------------------------------------------
def _signed_in(request: Request) -> Response | None:
    if principal_of(request).via != "session":
        return RedirectResponse(f"/account/login?next={request.url.path}", status_code=303)
    return None


@router.get("")
async def center(request: Request) -> Response:
    redirect = _signed_in(request)
    if redirect:
        return redirect
    return await _center(request)


async def _center(request: Request, status: int = 200, **extra: Any) -> Response:
    node = node_of(request)
    principal = principal_of(request)
    user = principal.user
    assert user is not None

    def gather() -> dict[str, Any]:
        accounts = node.accounts
        usage = accounts.quotas.usage(principal)
        rows = []
        for name in ("bytes_per_day", "concurrent_downloads", "requests_per_minute"):
            q = dict(usage[name])  # type: ignore[call-overload]
            if name == "bytes_per_day":
                q["used"] = human_bytes(int(q["used"]))
                q["limit"] = "unlimited" if q["limit"] is None else human_bytes(int(q["limit"]))
            elif q["limit"] is None:
                q["limit"] = "unlimited"
            q["reset"] = (q["reset"] or "")[:16].replace("T", " ")
            rows.append((name.replace("_", " "), q))
        return {
            "keys": accounts.store.list_keys(user.id),
            "downloads": accounts.store.list_downloads(user_id=user.id, limit=20),
            "quota_rows": rows,
        }

    return page(request, "center", status, **(await run_in_threadpool(gather)), **extra)


async def _signed_in_form(request: Request, action: Action) -> tuple[FormData, User] | Response:
    """The posted form and its signed-in author, allowed to do ``action`` on their own account;
    otherwise the page to show instead."""
    form = await checked_form(request)
    principal = principal_of(request)
    if principal.via != "session" or principal.user is None:
        return RedirectResponse("/account/login?next=/account", status_code=303)
    decision = node_of(request).accounts.access.decide(principal, action, owner=principal.user.id)
    if not decision:
        return await _center(request, 403, error=decision.reason)
    return form, principal.user


@router.post("/password")
async def password_post(request: Request) -> Response:
    got = await _signed_in_form(request, Action.CHANGE_PASSWORD)
    if isinstance(got, Response):
        return got
    form, user = got
    users = node_of(request).accounts.users
    try:
        await run_in_threadpool(
            lambda: users.change_password(
                user, field(form, "current"), field(form, "password"), field(form, "password2"), ip=client_ip(request)
            )
        )
    except EonodeError as exc:
        return await _center(request, exc.status, error=exc)
    response = page(request, "login", form={"username": user.username}, notice="Password changed: log in again.")
    clear_login_cookies(response)
    return response


@router.post("/keys")
async def key_post(request: Request) -> Response:
    got = await _signed_in_form(request, Action.MANAGE_ACCOUNT)
    if isinstance(got, Response):
        return got
    form, user = got
    users = node_of(request).accounts.users
    try:
        _key, secret = await run_in_threadpool(
            lambda: users.create_key(user, field(form, "name"), ip=client_ip(request))
        )
    except EonodeError as exc:
        return await _center(request, exc.status, error=exc)
    return await _center(request, 201, new_key=secret, notice="Key created: copy it now, it is not shown again.")


@router.post("/keys/{key_id}/revoke")
async def key_revoke(request: Request, key_id: int) -> Response:
    got = await _signed_in_form(request, Action.MANAGE_ACCOUNT)
    if isinstance(got, Response):
        return got
    _form, user = got
    users = node_of(request).accounts.users
    try:
        await run_in_threadpool(lambda: users.revoke_key(user, key_id, ip=client_ip(request)))
    except EonodeError as exc:
        return await _center(request, exc.status, error=exc)
    return RedirectResponse("/account", status_code=303)
