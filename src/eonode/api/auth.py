"""Accounts over JSON: e-mail codes, registration, verification, login/logout, password reset.

The portal's forms (``account_pages``) call the same service; so do the CLI commands.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from eonode.accounts import tokens
from eonode.accounts.service import Login
from eonode.api.deps import node_of
from eonode.api.principal import CSRF_COOKIE, SESSION_COOKIE, cookies_of
from eonode.api.responses import JsonResponse

router = APIRouter(prefix="/auth", tags=["accounts"])


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


class CodeRequest(BaseModel):
    email: str = Field(max_length=254)
    purpose: Literal["register", "reset"] = "register"


class Registration(BaseModel):
    username: str = Field(max_length=64)
    email: str = Field(max_length=254)
    password: str = Field(max_length=1024)
    password2: str | None = Field(None, max_length=1024, description="The password repeated.")
    code: str | None = Field(
        None, max_length=16, description="A code from POST /auth/codes: the account is active at once."
    )
    full_name: str = Field("", max_length=200)
    organisation: str = Field("", max_length=200)
    country: str = Field("", max_length=3)


class Verification(BaseModel):
    email: str = Field(max_length=254)
    code: str = Field(max_length=16)


class LoginForm(BaseModel):
    username: str = Field(max_length=254, description="Account name or e-mail address.")
    password: str = Field(max_length=1024)


class PasswordReset(BaseModel):
    email: str = Field(max_length=254)
    code: str = Field(max_length=16)
    password: str = Field(max_length=1024)
    password2: str | None = Field(None, max_length=1024)


def set_login_cookies(request: Request, response: Response, login: Login, csrf: str) -> None:
    """The session cookie (HttpOnly, SameSite=Lax) and a fresh CSRF token (readable by scripts)."""
    node = node_of(request)
    secure = node.settings.secure_cookies
    max_age = int(node.settings.session_days * 86400)
    response.set_cookie(
        SESSION_COOKIE, login.session_token, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/"
    )
    set_csrf_cookie(request, response, csrf)


def csrf_token_for(request: Request, *, fresh: bool = False) -> str:
    """The client's valid CSRF token, or a new one (which the response must then set)."""
    secret = node_of(request).accounts.users.secret
    current = cookies_of(request.scope).get(CSRF_COOKIE)
    if not fresh and current and tokens.csrf_ok(secret, current, current):
        return current
    return tokens.new_csrf_token(secret)


def set_csrf_cookie(request: Request, response: Response, token: str) -> None:
    if cookies_of(request.scope).get(CSRF_COOKIE) != token:
        secure = node_of(request).settings.secure_cookies
        response.set_cookie(CSRF_COOKIE, token, httponly=False, samesite="lax", secure=secure, path="/")


def clear_login_cookies(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.post("/codes", status_code=202, summary="E-mail a six-digit verification code (registration or password reset)")
async def send_code(request: Request, body: CodeRequest) -> Response:
    users = node_of(request).accounts.users
    sent = await run_in_threadpool(users.send_code, body.email, body.purpose, ip=client_ip(request))
    return JsonResponse(
        {
            "email": sent.email,
            "purpose": body.purpose,
            "expires_in": sent.expires_in,
            "resend_after": sent.resend_after,
        },
        status_code=202,
    )


@router.post("/register", status_code=201, summary="Create an account (active at once with a code, else pending)")
async def register(request: Request, body: Registration) -> Response:
    users = node_of(request).accounts.users
    user = await run_in_threadpool(lambda: users.register(**body.model_dump(), ip=client_ip(request)))
    doc = user.public()
    doc["next"] = "log in" if user.status.value == "active" else "POST /auth/verify with the code e-mailed to you"
    return JsonResponse(doc, status_code=201)


@router.post("/verify", summary="Activate a pending account with its e-mailed code")
async def verify(request: Request, body: Verification) -> Response:
    users = node_of(request).accounts.users
    user = await run_in_threadpool(users.verify, body.email, body.code, ip=client_ip(request))
    return JsonResponse(user.public())


@router.post("/login", summary="Log in: sets the session cookie; returns the CSRF token for writes")
async def login(request: Request, body: LoginForm) -> Response:
    users = node_of(request).accounts.users
    done = await run_in_threadpool(
        lambda: users.login(
            body.username, body.password, ip=client_ip(request), user_agent=request.headers.get("user-agent", "")
        )
    )
    csrf = csrf_token_for(request, fresh=True)
    response = JsonResponse({"user": done.user.public(), "expires": done.expires.isoformat(), "csrf_token": csrf})
    set_login_cookies(request, response, done, csrf)
    return response


@router.post("/logout", status_code=204, summary="End the session")
async def logout(request: Request) -> Response:
    session = cookies_of(request.scope).get(SESSION_COOKIE)
    if session:
        await run_in_threadpool(node_of(request).accounts.users.logout, session, ip=client_ip(request))
    response = Response(status_code=204)
    clear_login_cookies(response)
    return response


@router.post("/password-reset", summary="Set a new password with a code from POST /auth/codes (purpose reset)")
async def password_reset(request: Request, body: PasswordReset) -> Response:
    users = node_of(request).accounts.users
    user = await run_in_threadpool(
        users.reset_password, body.email, body.code, body.password, body.password2, ip=client_ip(request)
    )
    return JsonResponse({"username": user.username, "next": "log in with the new password"})
